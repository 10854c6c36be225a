"""A small chart of events per minute by topic, drawn as inline SVG so no plotting library is needed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from mechanic_kernel import Event

from ._panel import escape

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")
CHART_MINUTES = 15


def _minute(created_at: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return moment.replace(second=0, microsecond=0)


def chart(events: list[Event], now: dt.datetime, minutes: int = CHART_MINUTES) -> str:
    """Inline SVG: stacked bars of events per minute by topic over the last ``minutes``, with a legend."""
    end = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    start = end - dt.timedelta(minutes=minutes - 1)
    counts: Counter[tuple[dt.datetime, str]] = Counter()
    for event in events:
        minute = _minute(event.created_at)
        if start <= minute <= end:
            counts[(minute, event.topic)] += 1
    if not counts:
        return f"<i>No events in the last {minutes} minutes.</i>"
    topics = sorted({topic for _, topic in counts})
    colours = {topic: _PALETTE[i % len(_PALETTE)] for i, topic in enumerate(topics)}
    per_minute = Counter()
    for (minute, _), count in counts.items():
        per_minute[minute] += count
    peak = max(per_minute.values())
    bar, height = 18, 60
    bars = []
    for index in range(minutes):
        minute = start + dt.timedelta(minutes=index)
        y = height
        for topic in topics:
            count = counts.get((minute, topic), 0)
            if not count:
                continue
            size = max(1, round(count / peak * height))
            y -= size
            bars.append(
                f'<rect x="{index * (bar + 2)}" y="{y}" width="{bar}" height="{size}" '
                f'fill="{colours[topic]}"><title>{minute:%H:%M} {escape(topic)}: {count}</title></rect>'
            )
    width = minutes * (bar + 2)
    axis = (
        f'<text x="0" y="{height + 12}" font-size="10">{start:%H:%M}</text>'
        f'<text x="{width - 30}" y="{height + 12}" font-size="10">{end:%H:%M}</text>'
    )
    legend = " ".join(f'<span style="color:{colours[t]}">&#9632;</span> {escape(t)}' for t in topics)
    return (
        f'<div class="mk-activity-chart"><svg width="{width}" height="{height + 14}" role="img" '
        f'aria-label="events per minute by topic">{"".join(bars)}{axis}</svg>'
        f'<div style="font-size:11px">Events per minute (UTC, peak {peak}): {legend}</div></div>'
    )
