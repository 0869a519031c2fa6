"""Enumerate the corpus inputs (class x release x shape) and write them on demand.

Case ids are `<class>/<release>/<shape>` (healthy corpus) and `<category>/<release>/<paste>`
(fatal recall corpus); the known-failure lists under data/ key on them.
"""

from __future__ import annotations

import functools
from pathlib import Path

from corpusgen import facts
from corpusgen.classes import CLASSES, LOGS
from corpusgen.scenario import Scenario


def healthy_case_ids() -> list[str]:
    have = set(facts.available())
    ids = []
    for name, cls in CLASSES.items():
        for tag in cls.releases:
            if tag not in have:
                continue
            for shape in cls.shapes or LOGS:
                ids.append(f"{name}/{tag}/{shape}")
    return ids


@functools.cache
def scenario(cls: str, tag: str) -> Scenario:
    return CLASSES[cls].build(cls, tag)


def write_healthy(case_id: str, root: Path) -> Path:
    """Write one healthy-corpus input under `root/<case id>`; returns the path to scan."""
    cls, tag, shape = case_id.split("/")
    return scenario(cls, tag).write(shape, root / cls / tag / shape)


def load_known_failures(path: Path) -> dict[str, str]:
    """`case id<TAB>what the tool reports today` per line; `#` comments and blank lines skipped."""
    out = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        case, _, reason = line.partition("\t")
        out[case.strip()] = reason.strip()
    return out
