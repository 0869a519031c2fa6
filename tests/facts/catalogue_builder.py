"""The generator script tools/build_message_catalogue.py, loaded by path (tools/ is no package),
and a stand-in for the git repository it reads, holding Go files per release in memory."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from support import ROOT

_PATH = ROOT / "tools" / "build_message_catalogue.py"


def load_builder():
    name = "build_message_catalogue_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _PATH)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class FakeRepo:
    """`go_files(ref)` and `blob(id)` of the builder's Repo over {ref: {path: source}}."""

    def __init__(self, releases: dict[str, dict[str, str]]):
        self.blobs: dict[str, str] = {}
        self.trees: dict[str, list[tuple[str, str]]] = {}
        builder = load_builder()
        for ref, files in releases.items():
            tree = []
            for path, source in files.items():
                blob = hashlib.sha1(source.encode()).hexdigest()
                self.blobs[blob] = source
                if path.endswith(".go") and not builder.SKIP_PARTS.search(path):
                    tree.append((path, blob))
            self.trees[ref] = tree

    def go_files(self, ref: str) -> list[tuple[str, str]]:
        return self.trees[ref]

    def blob(self, sha: str) -> str:
        return self.blobs[sha]


def calls_of(source: str) -> list:
    builder = load_builder()
    return list(builder.calls(builder.tokens(source)))


def formats_of(source: str) -> list[tuple[str, str, str, int]]:
    """(format, level, style, line) of each message of one Go file, constants resolved."""
    builder = load_builder()
    toks = builder.tokens(source)
    constants = builder.string_constants(toks)
    out = []
    for call in builder.calls(toks):
        fmt = builder.format_of(call, constants)
        if fmt is not None:
            out.append((fmt, call.level, call.style, call.line))
    return out


def tool_path() -> Path:
    return _PATH
