"""Kernel modules of a Node: ``lsmod`` / ``/proc/modules`` (loaded) and ``modules.builtin``.

``lsmod`` prints a ``Module  Size  Used by`` header and one ``name size refcount [users]`` line
per module; ``/proc/modules`` has ``name size refcount users state address``; the
``/lib/modules/$(uname -r)/modules.builtin`` file lists built-in modules as ``kernel/.../<name>.ko``
(Antrea's install-cni greps it for ``openvswitch.ko``, build/images/scripts/module_utils).
Module names are normalised with ``_`` for ``-``, as the kernel does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

_HEADER = re.compile(r"^Module\s+Size\s+Used by\s*$")
_LSMOD = re.compile(r"^([A-Za-z0-9_-]{1,64})\s+(\d{1,12})\s+(-?\d{1,6})(?:\s+\S{0,4096})?$")
_PROC = re.compile(r"^([A-Za-z0-9_-]{1,64}) \d{1,12} -?\d{1,6} \S{1,4096} (?:Live|Loading|Unloading)\b")
_BUILTIN = re.compile(r"^kernel/[\w/.+-]{0,256}?/?([\w-]{1,64})\.ko$")
_MAX_LINES = 100_000


@dataclass
class KernelModules:
    """The kernel modules loaded (lsmod) and built in (modules.builtin)."""

    loaded: set[str] = field(default_factory=set)
    builtin: set[str] = field(default_factory=set)
    listed_loaded: bool = False  # an lsmod or /proc/modules listing was read
    listed_builtin: bool = False  # a modules.builtin listing was read

    def available(self, name: str) -> bool | None:
        """Loaded or built in; None when neither listing was provided."""
        name = name.replace("-", "_")
        if name in self.loaded or name in self.builtin:
            return True
        return False if (self.listed_loaded or self.listed_builtin) else None


def parse(text: str, into: KernelModules | None = None) -> KernelModules:
    mods = into or KernelModules()
    _, body = split_prompt(text)
    for line in body.splitlines()[:_MAX_LINES]:
        line = line.strip()
        if _HEADER.match(line):
            mods.listed_loaded = True
        elif m := _BUILTIN.match(line):
            mods.builtin.add(m[1].replace("-", "_"))
            mods.listed_builtin = True
        elif m := (_PROC.match(line) or _LSMOD.match(line)):
            mods.loaded.add(m[1].replace("-", "_"))
            mods.listed_loaded = True
    return mods


def sniff(head: str) -> bool:
    """True for lsmod output (its header), /proc/modules, or a modules.builtin listing."""
    _, body = split_prompt(head)
    lines = [ln.strip() for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return False
    if _HEADER.match(lines[0]):
        return True
    good = sum(1 for ln in lines if _PROC.match(ln) or _BUILTIN.match(ln))
    return good >= 3 and good >= 0.9 * len(lines)
