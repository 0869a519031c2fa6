"""The code `@dataclass` generates for the project's classes, compiled once per Python version.

`dataclasses` writes each class's `__init__`, `__repr__`, `__eq__` (and more for frozen or
ordered classes) as source text and compiles it with `exec` when the class is created. On
Python 3.11 a sample scan creates ~160 classes: ~520 compiles, 15 % of the instructions of the
whole process (callgrind, the cache's own load included). The texts are the same from run to
run, so their compiled code is kept in the signed cache (`diagnose.cache`), keyed by the text,
and `exec` runs it without compiling.

The command line installs it first thing (`install`); a library user's process is left alone.
Only classes of the project's modules and rule packs go through it, and what the generated
methods do is unchanged: `exec` of the code compiled from a text is `exec` of the text. Should a
Python version stop calling `exec` from `dataclasses`, nothing is cached and nothing breaks.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import marshal
import sys
from types import CodeType
from typing import Any

from diagnose.cache import SignedCache, default_cache_dir

# The modules whose classes are cached: the project's, and rule packs (see rules/rulepack.py).
_OWN_MODULES = ("diagnose.", "antrea_diagnose_rules_")
_FORMAT = 1  # bump when what is stored changes
_LOAD_AFTER = 16  # texts compiled before the cache is read (~5 classes): less than reading it


class _CompiledTexts:
    """The `exec` that `dataclasses` calls, with the compiled texts loaded on first use."""

    def __init__(self) -> None:
        self._stored: dict[str, CodeType] | None = None  # loaded once a command creates classes
        self._used: set[int] = set()  # hashes of the stored texts this process ran
        self._new: dict[str, CodeType] = {}  # texts compiled by this process
        self._early: dict[str, CodeType] = {}  # compiled before the cache was worth loading

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        if type(source) is str and globals is not None and str(globals.get("__name__")).startswith(_OWN_MODULES):
            source = self._code(source)
        builtins.exec(source, globals, locals)

    def _code(self, text: str) -> CodeType:
        if self._stored is None:
            if len(self._early) < _LOAD_AFTER:  # `--help` makes a class or two: loading costs more
                code = self._early[text] = _compile(text)
                return code
            self._stored = _load()
            for early_text, early_code in self._early.items():  # what a cached run must find too
                self._note(early_text, early_code)
            self._early.clear()
        code = self._stored.get(text) or _compile(text)
        self._note(text, code)
        return code

    def _note(self, text: str, code: CodeType) -> None:
        """`text` ran: stored already (dropped from memory: each text runs once per process and
        its code is garbage once run), or new to the cache."""
        assert self._stored is not None
        if self._stored.pop(text, None) is not None:
            self._used.add(hash(text))
        elif hash(text) not in self._used:  # else a second class with the same text
            self._new[text] = code

    def store(self) -> None:
        """At exit, when this process compiled texts the cache lacked: the texts it ran, and
        those of other commands as long as they are not most of the file (so the texts of
        classes that have changed since drop out)."""
        entry = _entry() if self._new else None
        if entry is None:
            return
        stored = _load()
        ran = {text: code for text, code in stored.items() if hash(text) in self._used} | self._new
        every = stored | self._new
        entry.store_object(every if len(every) <= 2 * len(ran) else ran)


def _compile(text: str) -> CodeType:
    # dont_inherit: compiled as `dataclasses` compiles it, not with this module's __future__ flags
    return compile(text, "<string>", "exec", dont_inherit=True)


def install() -> None:
    """Route the project's dataclass compiles through the cache, unless caching is off."""
    if "exec" in vars(dataclasses) or default_cache_dir() is None:
        return  # installed already (main() runs many times in a test process), or caching is off
    texts = _CompiledTexts()
    setattr(dataclasses, "exec", texts.exec)  # noqa: B010  # shadows the builtin for `dataclasses` only
    atexit.register(texts.store)


def _entry() -> SignedCache | None:
    import hashlib  # here: `--help` creates no dataclass and needs none of this

    directory = default_cache_dir()
    if directory is None:
        return None
    key = hashlib.sha256(f"{_FORMAT}|{sys.version}|{marshal.version}".encode()).hexdigest()
    return SignedCache(directory, "dataclass", key)


def _load() -> dict[str, CodeType]:
    entry = _entry()
    stored = entry.load_object() if entry is not None else None
    return stored if isinstance(stored, dict) else {}
