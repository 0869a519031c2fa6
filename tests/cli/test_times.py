"""`timeline --since/--until` as people type them: `18:57`, `18:57:03`, `2024-06-28 18:57`, ISO."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from cli_support import SAMPLE_6448

from diagnose.cli import times


def test_the_forms_people_type():
    assert times.parse("18:57").clock == time(18, 57) and times.parse("18:57").span == timedelta(minutes=1)
    assert times.parse("8:05:03").clock == time(8, 5, 3) and times.parse("8:05:03").span == timedelta(seconds=1)
    assert times.parse("18:57:03.5").span == timedelta(milliseconds=100)
    assert times.parse("2024-06-28 18:57").moment == datetime(2024, 6, 28, 18, 57)
    assert times.parse("2024-06-28 18:57").span == timedelta(minutes=1)
    assert times.parse("2024-06-28T20:57:03+02:00").moment == datetime(2024, 6, 28, 18, 57, 3)
    assert times.parse("2024-06-28T18:57:03Z").span == timedelta(seconds=1)
    assert times.parse("2024-06-28").span == timedelta(days=1)
    for bad in ("yesterday", "25:00", "18h57", "18:5", ""):
        with pytest.raises(ValueError):
            times.parse(bad)


def test_a_time_of_day_is_placed_on_the_days_of_the_logs():
    days = {date(2024, 6, 27), date(2024, 6, 28)}
    last = datetime(2024, 6, 28, 0, 10)  # the logs run past midnight
    assert times.parse("23:55").first(days, last) == datetime(2024, 6, 27, 23, 55)  # the evening before
    assert times.parse("00:05").first(days, last) == datetime(2024, 6, 28, 0, 5)
    assert times.parse("00:05").last(days, last) == datetime(2024, 6, 28, 0, 5, 59, 999999)
    assert times.parse("18:57").first((), None) is None  # no dated event: nothing to place it on
    assert times.parse("2024-06-28").last(days, last) == datetime(2024, 6, 28, 23, 59, 59, 999999)


def _rows(run, *args: str) -> tuple[int, list[dict[str, str]], str]:
    code, out, err = run("timeline", SAMPLE_6448, "-f", "csv", *args)
    return code, list(csv.DictReader(io.StringIO(out))) if code == 0 else [], err


def test_timeline_window_in_times_of_day(run):
    code, rows, err = _rows(run, "--since", "18:57", "--until", "18:57")
    assert code == 0, err
    assert rows and all("2024-06-28T18:57:00" <= r["time"] < "2024-06-28T18:58:00" for r in rows)
    assert any(r["kind"] == "fatal" for r in rows)  # 18:57:17.883: inside the minute --until 18:57 covers
    code, same, _ = _rows(run, "--since", "2024-06-28 18:57", "--until", "2024-06-28T18:57:59.999999")
    assert same == rows


def test_a_time_of_day_without_dated_events_is_a_usage_error(tmp_path, run):
    pasted = tmp_path / "error.txt"
    pasted.write_text("Error running agent: error initializing agent: Spec.PodCIDR is empty for Node node2\n")
    code, _, err = run("timeline", pasted, "--since", "18:57")
    assert code == 2 and "a time of day cannot be placed; give a date too" in err
