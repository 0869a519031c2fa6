"""Redacted copies of the sample bundles, made once per session with one shared key file."""

from __future__ import annotations

from pathlib import Path

import pytest
from redact_helpers import SAMPLE_DIRS, Redacted

from diagnose.redact import commands


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "batch.key"
    path.write_text("a shared secret of this batch\n")
    return path


@pytest.fixture(scope="session")
def redacted(tmp_path_factory, key_file) -> dict[str, Redacted]:
    """sample name -> its redacted copy (an archive) and private map, all under `key_file`."""
    out = tmp_path_factory.mktemp("redacted")
    copies = {}
    for sample in SAMPLE_DIRS:
        copy = out / f"{sample.name}.tar.gz"
        commands.redact_bundle(sample, copy, None, key_file, None, lambda _: None)
        copies[sample.name] = Redacted(sample, copy, copy.with_name(copy.name + commands.MAP_SUFFIX))
    return copies
