"""Read-only pandas views of the store (the only engine module that imports pandas)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .events import Event

EVENT_COLUMNS = ["id", "topic", "created_at", "source", "webhook_id", "webhook_request_id", "parent_id"]


def events_frame(events: Sequence[Event], *, flatten: bool = True) -> pd.DataFrame:
    """One row per event; ``data`` as a column, or flattened into ``data.<path>`` columns with json_normalize."""
    frame = pd.DataFrame([[getattr(event, column) for column in EVENT_COLUMNS] for event in events],
                         columns=EVENT_COLUMNS)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    datas = [event.data for event in events]
    if not flatten:
        frame["data"] = datas
        return frame
    objects = [data if isinstance(data, dict) else {"": data} for data in datas]
    flat = pd.json_normalize(objects, sep=".") if objects else pd.DataFrame()
    flat.columns = ["data" if column == "" else f"data.{column}" for column in flat.columns]
    return pd.concat([frame, flat.reset_index(drop=True)], axis=1)
