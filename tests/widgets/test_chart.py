"""The events-per-minute chart: counts by minute and topic, inline SVG."""

from __future__ import annotations

import datetime as dt

from mechanic_kernel import Event
from widgets.chart import chart


def test_chart_counts_events_per_minute_by_topic() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    events = [
        Event(str(i), topic, None, "user", created_at)
        for i, (topic, created_at) in enumerate(
            [
                ("user/a/b", "2026-01-01T12:00:01.000Z"),
                ("user/a/b", "2026-01-01T12:00:02.000Z"),
                ("user/c/d", "2026-01-01T11:59:00.000Z"),
                ("user/c/d", "2026-01-01T10:00:00.000Z"),
            ]
        )
    ]
    svg = chart(events, now)
    assert "12:00 user/a/b: 2" in svg and "11:59 user/c/d: 1" in svg and "10:00" not in svg
    assert "peak 2" in svg
    assert "No events" in chart([], now)
