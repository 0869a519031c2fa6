"""`--since` / `--until` as people type them: `18:57`, `18:57:03`, `2024-06-28 18:57`, ISO.

A time of day alone is on the day of the logs: the latest date of the events on which that time
is not after the last event (so `--since 23:55` of logs that run past midnight means the evening
before). A time covers its whole precision: `--until 18:57` includes 18:57:59.9, `--until
2024-06-28` the whole day; `--since` starts at its first instant. Times are the logs' own clock;
a zone (`Z`, `+02:00`) is converted to UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
EXAMPLES = "18:57, 18:57:03, 2024-06-28 18:57 or 2024-06-28T18:57:03Z"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class When:
    """A time as typed: a full time, or a time of day to place on the logs' dates."""

    text: str
    moment: datetime | None  # a date was given
    clock: time | None  # only a time of day was given
    span: timedelta  # how much time the text covers (a minute for 18:57)

    def first(self, dates: Iterable[date] = (), last: datetime | None = None) -> datetime | None:
        """The first instant it covers (`--since`); None when a time of day meets no dated event."""
        if self.moment is not None:
            return self.moment
        assert self.clock is not None
        days = sorted(set(dates))
        if not days:
            return None
        for day in reversed(days):
            t = datetime.combine(day, self.clock)
            if last is None or t <= last:
                return t
        return datetime.combine(days[0], self.clock)

    def last(self, dates: Iterable[date] = (), last: datetime | None = None) -> datetime | None:
        """The last instant it covers (`--until`)."""
        start = self.first(dates, last)
        return None if start is None else start + self.span - _TICK


def parse(text: str) -> When:
    """ValueError when `text` is none of the accepted forms."""
    value = text.strip()
    m = _CLOCK.match(value)
    if m:
        hour, minute = int(m[1]), int(m[2])
        second = int(m[3] or 0)
        micro = int((m[4] or "0").ljust(6, "0"))
        return When(text, None, time(hour, minute, second, micro), _span(m[3], m[4]))
    if _DATE.match(value):
        return When(text, datetime.fromisoformat(value), None, timedelta(days=1))
    from diagnose.report.stream import parse_time  # imported here: `--help` stays fast

    moment = parse_time(value)  # ValueError when it is not ISO either
    m = _DATE_TIME.match(value)
    return When(text, moment, None, _span(m[3], m[4]) if m else _TICK)


def _span(seconds: str | None, fraction: str | None) -> timedelta:
    if fraction:
        return timedelta(microseconds=10 ** (6 - len(fraction)))
    return timedelta(seconds=1) if seconds else timedelta(minutes=1)
