"""Time as the engine sees it: a real clock, or a controllable one for tests and reproducible previews."""

from __future__ import annotations

import datetime as dt
import threading

UTC = dt.UTC


def isoformat(moment: dt.datetime) -> str:
    """Format a moment the way Mechanic prints it in payloads: UTC, milliseconds, a trailing ``Z``.

    The fixed width also makes the stored text sort chronologically.
    """
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp (``Z`` or an offset; naive means UTC) into an aware datetime."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


class Clock:
    """The real wall clock."""

    def now(self) -> dt.datetime:
        """Return the current moment, timezone-aware in UTC."""
        return dt.datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to, so offsets, retries and retention are testable without sleeping."""

    def __init__(self, start: dt.datetime | str | None = None) -> None:
        if start is None:
            start = dt.datetime(2026, 1, 1, tzinfo=UTC)
        elif isinstance(start, str):
            start = parse_iso(start)
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """Return the frozen moment."""
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by a ``timedelta`` worth of keyword arguments (``seconds=30``, ``days=15``)."""
        with self._lock:
            self._now += dt.timedelta(**delta)
            return self._now

    def set(self, moment: dt.datetime | str) -> None:
        """Jump to a given moment."""
        with self._lock:
            self._now = (parse_iso(moment) if isinstance(moment, str) else moment).astimezone(UTC)
