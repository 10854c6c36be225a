"""Read-only pandas views of the store (the only engine module that imports pandas).

Every view hands its filters to the store (:class:`~mechanic_kernel.store.contract.FrameStore`), which applies
them in SQL, and returns typed columns:
times as ``datetime64[ns, UTC]``, topics, sources, webhooks, statuses and action types as ``category``, ids
and messages as ``str``, counts as nullable ``Int64``. Event ``data`` stays JSON text unless asked for: decoding
a million payloads costs more than everything else together (docs/frames.md, docs/performance.md "Frames").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd

from .clock import isoformat
from .clock import parse_iso
from .errors import InvalidInput
from .models.runs import RunStatus
from .store.contract import MS_DIGITS
from .store.contract import NUMBER_WIDTH
from .store.contract import SEQ_DIGITS
from .store.contract import EventQuery
from .store.contract import RunQuery
from .store.contract import Table

if TYPE_CHECKING:
    from .store.contract import FrameStore

EVENT_COLUMNS = ["id", "topic", "created_at", "source", "webhook_id", "webhook_request_id", "parent_id"]
"""Columns of :func:`events_frame` before ``data`` (or the ``data.*`` columns)."""

TIME = "datetime64[ns, UTC]"
TIME_COLUMNS = ("created_at", "run_at", "started_at", "stopped_at")
RUN_STATUS = pd.CategoricalDtype([status.value for status in RunStatus])
_POWERS = 10 ** np.arange(SEQ_DIGITS - 1, -1, -1, dtype=np.int64)  # place values of a 16-digit decimal field
assert SEQ_DIGITS == MS_DIGITS
_NAT = np.iinfo(np.int64).min


# -- filters ---------------------------------------------------------------------------------------------------
def _names(value: Any, name: str) -> list[str] | None:
    """One string or a non-empty list of strings, as a list; None for no filter.

    Raises:
        InvalidInput: anything else.
    """
    if value is None:
        return None
    values = (
        [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple | set) else None
    )
    if not values or not all(isinstance(item, str) and item for item in values):
        raise InvalidInput(f"{name} must be a non-empty string or a non-empty list of them, got {value!r}")
    return sorted(set(values))


def _moment(value: Any, name: str) -> str | None:
    """A bound of a time range as the engine stores times: UTC, milliseconds rounded *up*, ``Z``.

    Rounding up keeps both ``since`` (inclusive) and ``until`` (exclusive) exact for stored millisecond times.

    Raises:
        InvalidInput: not a datetime, date or ISO-8601 string.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = parse_iso(value.strip())
        except ValueError:
            raise InvalidInput(
                f"{name} {value!r} is not an ISO-8601 time (e.g. 2026-10-01T12:00:00Z)"
            ) from None
    elif isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    else:
        raise InvalidInput(f"{name} must be a datetime or an ISO-8601 string, got {value!r}")
    if moment.microsecond % 1000:
        moment += dt.timedelta(microseconds=1000 - moment.microsecond % 1000)
    return isoformat(moment)


def _range(since: Any, until: Any) -> tuple[str | None, str | None]:
    low, high = _moment(since, "since"), _moment(until, "until")
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"since ({low}) is later than until ({high})")
    return low, high


def _limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InvalidInput(f"limit must be None or a whole number >= 0, got {value!r}")
    return int(value)


def _statuses(value: Any) -> list[str] | None:
    statuses = _names(
        [item.value if isinstance(item, RunStatus) else item for item in value]
        if isinstance(value, list | tuple | set)
        else value.value
        if isinstance(value, RunStatus)
        else value,
        "status",
    )
    unknown = sorted(set(statuses or ()) - set(RUN_STATUS.categories))
    if unknown:
        raise InvalidInput(
            f"unknown status {', '.join(map(repr, unknown))}: a status is one of "
            f"{', '.join(RUN_STATUS.categories)}"
        )
    return statuses


# -- columns ---------------------------------------------------------------------------------------------------
def _text(values: Any, empty_is_null: bool = False) -> pd.api.extensions.ExtensionArray:
    array = np.array(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if empty_is_null and len(array):
        array[array == ""] = None
    return pd.array(array, dtype="str")


def _category(
    values: Any, dtype: pd.CategoricalDtype | None = None, empty_is_null: bool = False
) -> pd.Categorical:
    array = np.array(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if dtype is not None:
        return pd.Categorical(array, dtype=dtype)
    codes, uniques = pd.factorize(array, sort=True)
    uniques = list(uniques)
    if empty_is_null and "" in uniques:
        blank = uniques.index("")
        codes = np.where(codes == blank, -1, codes - (codes > blank))
        del uniques[blank]
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str"))


def _times_from_unix_ms(values: np.ndarray) -> pd.arrays.DatetimeArray:
    """Milliseconds since the Unix epoch (0 = not a time) to ``datetime64[ns, UTC]``."""
    nanoseconds = values * 1_000_000
    nanoseconds[values == 0] = _NAT
    return pd.array(nanoseconds.view("M8[ns]")).tz_localize("UTC")


def _parsed(values: Any) -> np.ndarray:
    decode = json.JSONDecoder().decode
    parsed = np.empty(
        len(values), dtype=object
    )  # filled item by item: numpy would turn lists into a 2-D array
    for index, value in enumerate(values):
        parsed[index] = None if value is None or value == "" else decode(value)
    return parsed


# -- events ----------------------------------------------------------------------------------------------------
def events_frame(
    frames: FrameStore,
    *,
    topic: str | list[str] | None = None,
    webhook_id: str | list[str] | None = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
    flatten: bool = False,
    parse: bool = False,
) -> pd.DataFrame:
    """Events, newest first, one row each.

    Args:
        frames: the store's frame reads (``workbench.store.frames``).
        topic: only events of this topic (or of any of these topics).
        webhook_id: only events created by this webhook (or these webhooks).
        since: only events created at or after this moment (datetime, date or ISO-8601 string; naive is UTC).
        until: only events created strictly before this moment.
        limit: at most this many events (the newest).
        flatten: decode ``data`` and spread it into ``data.<path>`` columns (``pandas.json_normalize``); data that
            is not an object stays in a ``data`` column.
        parse: decode ``data`` into Python objects (ignored when flattening). By default ``data`` is the stored
            JSON text, which is many times faster on large stores.

    Returns:
        Columns :data:`EVENT_COLUMNS` then ``data`` (or ``data.*``); see docs/frames.md for dtypes.

    Raises:
        InvalidInput: a filter of the wrong type, an unparseable time, ``since`` after ``until``, a negative limit.
    """
    since_text, until_text = _range(since, until)
    query = EventQuery(
        topics=_names(topic, "topic"),
        webhook_ids=_names(webhook_id, "webhook_id"),
        since=since_text,
        until=until_text,
    )
    columns = frames.events(query, data=True, limit=_limit(limit))
    count = columns.count
    digits = (
        np.frombuffer(columns.numbers.encode("ascii"), dtype=np.uint8).reshape(count, NUMBER_WIDTH) - 48
    )
    seq = digits[:, :SEQ_DIGITS].astype(np.int64) @ _POWERS
    created = digits[:, SEQ_DIGITS:].astype(np.int64) @ _POWERS
    # Chunks arrive oldest first; a chunk an index returned in another order is put back in rowid order.
    if np.all(seq[1:] > seq[:-1]):
        order = slice(None, None, -1)
        texts = {name: np.array(values[::-1], dtype=object) for name, values in columns.texts.items()}
    else:
        order = np.argsort(seq, kind="stable")[::-1]
        texts = {name: np.array(values, dtype=object)[order] for name, values in columns.texts.items()}
    frame = pd.DataFrame(
        {
            "id": _text(texts["id"]),
            "topic": _category(texts["topic"]),
            "created_at": _times_from_unix_ms(created[order]),
            "source": _category(texts["source"]),
            "webhook_id": _category(texts["webhook_id"], empty_is_null=True),
            "webhook_request_id": _text(texts["webhook_request_id"], empty_is_null=True),
            "parent_id": _text(texts["parent_id"], empty_is_null=True),
        },
        copy=False,
    )
    data = texts["data"]
    if flatten:
        return pd.concat([frame, _flattened(_parsed(data))], axis=1)
    frame["data"] = pd.Series(_parsed(data), dtype=object) if parse else _text(data, empty_is_null=True)
    return frame


def _flattened(datas: np.ndarray) -> pd.DataFrame:
    objects = [data if isinstance(data, dict) else {"": data} for data in datas]
    flat = pd.json_normalize(objects, sep=".") if objects else pd.DataFrame(index=pd.RangeIndex(0))
    flat.columns = ["data" if column == "" else f"data.{column}" for column in flat.columns]
    return flat


# -- runs and logs ----------------------------------------------------------------------------------------------
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "status": lambda values: _category(values, RUN_STATUS),
    "topic": _category,
    "type": _category,
    "position": lambda values: pd.array(values, dtype="Int64"),
    "attempts": lambda values: pd.array(values, dtype="Int64"),
    "actions": lambda values: pd.array(values, dtype="Int64"),
    "logs": lambda values: pd.array(values, dtype="Int64"),
    "errors": lambda values: pd.array(values, dtype="Int64"),
    "level": lambda values: _category(values, pd.CategoricalDtype(["log", "error"])),
    **{
        name: (lambda values: _times_from_unix_ms(np.array([value or 0 for value in values], dtype=np.int64)))
        for name in TIME_COLUMNS
    },
}


def _frame(table: Table, *, parse: tuple[str, ...] = ()) -> pd.DataFrame:
    names, rows = table.names, table.rows
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data = {}
    for name, values in zip(names, columns, strict=True):
        if name in parse:
            data[name] = pd.Series(_parsed(values), dtype=object)
        else:
            data[name] = _CONVERT.get(name, _text)(values)
    return pd.DataFrame(data)


def _run_query(
    kind: str, topic: Any, webhook_id: Any, task_id: Any, status: Any, since: Any, until: Any
) -> RunQuery:
    since_text, until_text = _range(since, until)
    return RunQuery(
        kind,
        topics=_names(topic, "topic"),
        webhook_ids=_names(webhook_id, "webhook_id"),
        task_ids=_names(task_id, "task_id"),
        statuses=_statuses(status),
        since=since_text,
        until=until_text,
    )


def task_runs_frame(
    frames: FrameStore,
    *,
    topic: Any = None,
    webhook_id: Any = None,
    task_id: Any = None,
    status: Any = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Task runs, newest first: which task answered which event, how it went, how much it rendered.

    ``topic`` and ``webhook_id`` filter on the run's event; ``since``/``until`` bound the run's ``created_at``
    (inclusive/exclusive); ``status`` takes one status or several. See :func:`events_frame` for the rest.

    Raises:
        InvalidInput: a bad filter value (an unknown status names the valid ones).
    """
    query = _run_query("task", topic, webhook_id, task_id, status, since, until)
    return _frame(frames.task_runs(query, limit=_limit(limit)))


def action_runs_frame(
    frames: FrameStore,
    *,
    topic: Any = None,
    webhook_id: Any = None,
    task_id: Any = None,
    status: Any = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
    parse: bool = False,
) -> pd.DataFrame:
    """Action runs, newest first: type, options, result and error of every action a task run rendered.

    ``options`` and ``result`` are JSON text unless ``parse`` is true. Filters as in :func:`task_runs_frame`.

    Raises:
        InvalidInput: a bad filter value.
    """
    query = _run_query("action", topic, webhook_id, task_id, status, since, until)
    return _frame(frames.action_runs(query, limit=_limit(limit)), parse=("options", "result") if parse else ())


def logs_frame(
    frames: FrameStore,
    *,
    topic: Any = None,
    webhook_id: Any = None,
    task_id: Any = None,
    status: Any = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Every ``log`` and ``error`` object task runs rendered, one row each, newest task run first.

    ``level`` is ``log`` or ``error``; ``position`` is the entry's place among its run's logs (or errors);
    ``message`` is the value itself when it is a string, else its JSON. Filters as in :func:`task_runs_frame`
    (``status`` is the task run's).

    Raises:
        InvalidInput: a bad filter value.
    """
    query = _run_query("task", topic, webhook_id, task_id, status, since, until)
    return _frame(frames.logs(query, limit=_limit(limit)))
