"""Antrea version strings as agents log them (`v2.1.0`, `v2.1.0-dev-6e00ebf`, `v2.2.0-beta.1`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?")


@dataclass(frozen=True, order=True)
class Version:
    """An Antrea version, ordered with pre-releases before their release."""

    major: int
    minor: int
    patch: int
    # Pre-releases sort before their release: ("", ...) > ("dev", ...) is wrong for tuples, so the
    # release flag comes first.
    is_release: bool
    pre: str

    @property
    def is_dev(self) -> bool:
        return self.pre.startswith("dev")

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")


def parse(text: str | None) -> Version | None:
    if not text:
        return None
    m = _VERSION.search(text)
    if not m:
        return None
    pre = m[4] or ""
    return Version(int(m[1]), int(m[2]), int(m[3] or 0), not pre, pre)


def satisfies(version: Version | None, spec: str) -> bool | None:
    """`spec` like ">=2.0.0,<2.1.0" or "all"; None when the version is unknown."""
    if spec.strip() in ("", "all", "*"):
        return True
    if version is None:
        return None
    for clause in spec.split(","):
        clause = clause.strip()
        op = re.match(r"(>=|<=|==|<|>)", clause)
        if not op:
            continue
        bound = parse(clause[op.end() :])
        if bound is None:
            continue
        ok = {
            ">=": version >= bound,
            "<=": version <= bound,
            "==": version == bound,
            "<": version < bound,
            ">": version > bound,
        }[op[1]]
        if not ok:
            return False
    return True
