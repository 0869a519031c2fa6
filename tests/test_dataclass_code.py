"""Dataclass methods run from the signed cache behave as compiled ones, and the cache is used."""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import sys
import types
import typing
from dataclasses import field

import pytest
from support import cache_file

from diagnose import dataclass_code


@pytest.fixture
def cache(private_cache):
    yield private_cache
    for name in [m for m in sys.modules if m.startswith(("diagnose.fake", "someone_elses_module"))]:
        del sys.modules[name]


def routed(monkeypatch, load_after: int = 0) -> dataclass_code._CompiledTexts:
    """A fresh process's view: the cache as stored on disk, dataclasses compiling through it
    (the cache read once `load_after` texts are compiled)."""
    monkeypatch.setattr(dataclass_code, "_LOAD_AFTER", load_after)
    texts = dataclass_code._CompiledTexts()
    monkeypatch.setattr(dataclasses, "exec", texts.exec, raising=False)
    return texts


def define(name: str):
    """Classes of every kind of generated method, defined in a module named `name`."""
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses reads string annotations in the class's module
    namespace = module.__dict__
    namespace.update(field=field, dataclasses=dataclasses, typing=typing)
    exec(  # noqa: S102  # the test's own class definitions
        """
@dataclasses.dataclass
class Plain:
    a: int
    b: list = field(default_factory=list)
    c: "str | None" = None

    def __post_init__(self):
        self.b.append(self.a)

@dataclasses.dataclass(frozen=True, order=True)
class Frozen:
    x: int
    y: str = "y"

@dataclasses.dataclass(kw_only=True, eq=False)
class KwOnly:
    n: int
    m: int = 2
""",
        namespace,
    )
    return namespace["Plain"], namespace["Frozen"], namespace["KwOnly"]


def behaviour(Plain, Frozen, KwOnly) -> list:
    p = Plain(1)
    f = Frozen(3)
    k = KwOnly(n=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.x = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        KwOnly(1)  # type: ignore[misc]
    return [
        repr(p),
        p == Plain(1),
        p.b,
        Plain.__hash__ is None,
        repr(f),
        hash(f) == hash(Frozen(3)),
        f < Frozen(4),
        repr(sorted([Frozen(2, "b"), Frozen(1)])),
        repr(k),
        k == KwOnly(n=1),  # eq=False: identity
        str(inspect.signature(Plain.__init__)),
        Plain.__init__.__annotations__,
        Frozen.__init__.__annotations__,
    ]


def test_methods_from_the_cache_behave_as_compiled_ones(cache, monkeypatch):
    expected = behaviour(*define("diagnose.fake_plain"))
    first = routed(monkeypatch)
    assert behaviour(*define("diagnose.fake_first")) == expected
    assert first._new  # compiled, and stored at exit
    first.store()
    assert cache_file(cache, "dataclass").exists()

    second = routed(monkeypatch)
    monkeypatch.setattr(dataclass_code, "compile", lambda *a, **k: pytest.fail("compiled again"), raising=False)
    assert behaviour(*define("diagnose.fake_second")) == expected
    assert not second._new and second._used


def test_classes_of_other_modules_are_compiled_as_always(cache, monkeypatch):
    texts = routed(monkeypatch)
    define("someone_elses_module")
    assert not texts._new and not texts._used
    texts.store()
    assert not list(cache.glob("dataclass*"))


def test_a_tampered_cache_is_not_run(cache, monkeypatch):
    first = routed(monkeypatch)
    define("diagnose.fake")
    first.store()
    path = cache_file(cache, "dataclass")
    blob = path.read_bytes()
    path.write_bytes(blob[:-20] + bytes(20))  # payload changed, MAC kept
    second = routed(monkeypatch)
    calls = []
    real = builtins.compile
    monkeypatch.setattr(dataclass_code, "compile", lambda *a, **k: calls.append(1) or real(*a, **k), raising=False)
    Plain, _, _ = define("diagnose.fake")
    assert calls and not second._used
    assert repr(Plain(1)).endswith("Plain(a=1, b=[1], c=None)")


def test_without_a_cache_nothing_is_installed(monkeypatch):
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    monkeypatch.delattr(dataclasses, "exec", raising=False)
    dataclass_code.install()
    assert "exec" not in vars(dataclasses)


def test_a_few_classes_compile_without_reading_the_cache_and_still_find_it_later(cache, monkeypatch):
    first = routed(monkeypatch)
    define("diagnose.fake")
    first.store()

    few = routed(monkeypatch, load_after=100)  # `--help`: a class or two
    define("diagnose.fake")
    assert few._stored is None and len(few._early) == len(first._new)  # the cache not read

    many = routed(monkeypatch, load_after=3)  # read at the fourth text, the first three found in it
    define("diagnose.fake")
    assert many._stored is not None and not many._early
    assert not many._new and len(many._used) == len(first._new)
