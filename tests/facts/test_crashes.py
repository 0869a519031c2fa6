"""A panic's goroutine dump is read with it, whether or not a blank line separates them."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.bundle import reader
from diagnose.diagnosis.engine import scanner_for
from diagnose.facts import crashes
from diagnose.rules.evidence import ClusterView

FIX = Path(__file__).parents[1] / "rules" / "fixtures" / "agent_crash"


@pytest.mark.parametrize(
    ("fixture", "frame"),
    [
        # plain `kubectl logs`: Go's blank line before `goroutine N [running]:` ends the panic's lines
        ("fires-plain-logs-panic-stack-after-blank-line", "egress.(*EgressController).syncEgress"),
        # `--timestamps`: the blank line carries a timestamp, the panic's own lines hold the dump
        ("fires-previous-container-log-runtime-panic", "multicast.(*Controller).syncGroup"),
    ],
)
def test_the_panicking_frame_is_found_and_the_dump_is_read_once(fixture, frame):
    view = ClusterView(reader.read(FIX / fixture, scanner_for([])))
    [crash] = view.crashes.values()
    [panic] = crash.panics
    assert crashes.describe_panic(panic).frame == frame
    headers = [line for line in panic.following if "goroutine " in line and "[running]:" in line]
    assert len(headers) == 1
