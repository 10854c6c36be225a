"""Recent activity: a live table of events with their runs, filters, a per-minute chart and an event view.

Replay (docs/widgets.md): an event that came from a webhook is replayed by posting its stored raw request
(method, query string, Content-Type and body) to the same webhook URL again, so the copy goes through the
whole webhook pipeline and is read with the webhook's *current* mode, with a new request id; any other
``user/`` event is emitted again with the same topic and data (``wb.emit_event``). Other topics (Shopify,
``mechanic/``) are not replayed: retry their runs instead.
"""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as w

from mechanic_kernel import Event
from mechanic_kernel import MechanicError
from mechanic_kernel import Workbench

from ._panel import Panel
from ._panel import align_labels
from ._panel import error_text
from ._panel import escape
from ._panel import message
from ._panel import pre
from ._panel import table
from .chart import chart

STATUSES = ("any", "succeeded", "failed", "pending", "cancelled")
_PENDING = ("scheduled", "due", "started")
_STATUS_COLOURS = {"succeeded": "#1b7f3b", "failed": "#b00020", "cancelled": "#777", "pending": "#8a6d00"}


def overall_status(record: dict[str, Any]) -> str:
    """One word for a ``describe_event`` record: failed, pending, cancelled or succeeded."""
    statuses = [record["run"]["status"]] if record.get("run") else ["scheduled"]
    for task_run in record.get("task_runs", []):
        statuses.append(task_run["status"])
        statuses.extend(action["status"] for action in task_run.get("action_runs", []))
    if "failed" in statuses:
        return "failed"
    if any(status in _PENDING for status in statuses):
        return "pending"
    if statuses[0] == "cancelled":
        return "cancelled"
    return "succeeded"


def _badge(status: str) -> str:
    colour = _STATUS_COLOURS.get(status if status not in _PENDING else "pending", "#555")
    return f'<span class="mk-status-{escape(status)}" style="color:{colour}">{escape(status)}</span>'


def _task_cell(record: dict[str, Any]) -> str:
    parts = []
    for task_run in record.get("task_runs", []):
        actions = task_run.get("action_runs", [])
        failed = [a for a in actions if a["status"] == "failed"]
        status = "failed" if failed else task_run["status"]
        detail = f" ({len(actions)} action{'s' if len(actions) != 1 else ''})" if actions else ""
        parts.append(f"{escape(task_run.get('task_name') or task_run['task_id'])}: {_badge(status)}{detail}")
    if not parts:
        run = record.get("run")
        return "<i>no task runs</i>" if run and run["status"] not in _PENDING else _badge("pending")
    return "<br>".join(parts)


def _code(text: str, css_class: str, *, title: str = "") -> str:
    return (
        f"<code class='{css_class}' title='{escape(title)}' style='white-space:nowrap'>{escape(text)}</code>"
    )


def _nowrap(text: str) -> str:
    return f"<span style='white-space:nowrap'>{escape(text)}</span>"


class RecentActivity(Panel):
    """Recent events, newest first, with each task's outcome; filters, a chart and an event view.

    The buttons call :meth:`refresh`, :meth:`select`, :meth:`retry` and :meth:`replay`. With
    ``auto_refresh=True`` a daemon thread calls :meth:`refresh` every ``interval`` seconds; it only changes
    widget values (never displays anything), and :meth:`stop` ends it.

    Args:
        wb: the workbench (a new one on the default home when None).
        limit: how many events the table shows.
        auto_refresh: refresh on a timer thread.
        interval: seconds between automatic refreshes.
    """

    def __init__(
        self,
        wb: Workbench | None = None,
        *,
        limit: int = 50,
        auto_refresh: bool = False,
        interval: float = 2.0,
    ) -> None:
        super().__init__(wb)
        self.limit = limit
        self.interval = interval
        self.rows: list[dict[str, Any]] = []
        self.selected: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Filters apply on Enter or when the field loses focus, not on every keystroke.
        self.topic = w.Combobox(
            description="Topic", placeholder="any topic", ensure_option=False, continuous_update=False
        )
        self.topic.add_class("mk-activity-topic")
        self.status_filter = w.Dropdown(description="Status", options=list(STATUSES), value="any")
        self.status_filter.add_class("mk-activity-status")
        self.search = w.Text(
            description="Search",
            placeholder="request id, event id or text in the data",
            continuous_update=False,
        )
        self.search.add_class("mk-activity-search")
        self.refresh_button = w.Button(description="Refresh", icon="refresh", tooltip="Reload the events")
        self.refresh_button.add_class("mk-activity-refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.auto = w.Checkbox(description="Auto refresh", value=False, indent=False)
        self.auto.add_class("mk-activity-auto")
        self.auto.observe(lambda change: self.start() if change["new"] else self.stop(), names="value")
        for control in (self.topic, self.status_filter, self.search):
            control.observe(lambda _: self.refresh(), names="value")
        self.summary = w.HTML()
        self.summary.add_class("mk-activity-summary")
        self.chart = w.HTML()
        self.chart.add_class("mk-activity-chart")
        self.table = w.HTML()
        self.table.add_class("mk-activity-table")
        self.event = w.Dropdown(
            description="Event", options=[("(choose an event)", "")], value="", layout=w.Layout(width="640px")
        )
        self.event.add_class("mk-activity-select")
        self.event.observe(self._on_select, names="value")
        self.detail = w.HTML()
        self.detail.add_class("mk-activity-detail")
        self.buttons = w.HBox()
        self.buttons.add_class("mk-activity-buttons")
        self.status = w.HTML()
        self.status.add_class("mk-activity-message")
        self.widget = w.VBox(
            [
                w.HTML("<h3 style='margin:4px 0'>Recent activity</h3>"),
                w.HBox([self.topic, self.status_filter]),
                w.HBox([self.search, self.refresh_button, self.auto]),
                self.summary,
                self.chart,
                self.table,
                self.event,
                self.buttons,
                self.status,
                self.detail,
            ]
        )
        self.widget.add_class("mk-activity")
        align_labels(self.widget)
        self.refresh()
        if auto_refresh:
            self.auto.value = True

    # -- table ----------------------------------------------------------------------------------------------
    def _load(self) -> tuple[list[dict[str, Any]], list[Event]]:
        topic = (self.topic.value or "").strip() or None
        search = self.search.value.strip() or None
        wanted = self.status_filter.value
        # With a status filter, read further back so the table still fills up.
        events = self.wb.list_events(
            topic=topic, search=search, limit=self.limit if wanted == "any" else self.limit * 4
        )
        rows = []
        for event in events:
            record = self.wb.runs.describe_event(event.id)
            status = overall_status(record)
            if wanted != "any" and status != wanted:
                continue
            rows.append({"event": event, "record": record, "status": status})
            if len(rows) >= self.limit:
                break
        return rows, events

    def refresh(self) -> list[dict[str, Any]]:
        """Re-read the events with the filters and redraw the table, the chart and the event list.

        Returns:
            The rows shown: ``{"event": Event, "record": describe_event's runs, "status": str}``.
        """
        with self._lock:
            try:
                rows, events = self._load()
            except MechanicError as exc:
                self.status.value = message(error_text(exc), "error")
                return self.rows
            self.rows = rows
            html_rows = []
            for row in rows:
                event = row["event"]
                html_rows.append(
                    (
                        _nowrap(event.created_at.replace("T", " ").rstrip("Z")),
                        f"<code>{escape(event.topic)}</code>",
                        escape(event.source),
                        _badge(row["status"]),
                        _task_cell(row["record"]),
                        _code(event.webhook_request_id or "", "mk-activity-request-id"),
                        _code(event.id[:8], "mk-activity-event-id", title=event.id),
                    )
                )
            headers = ("Time (UTC)", "Topic", "Source", "Status", "Tasks", "Request id", "Event")
            self.table.value = (
                table(headers, html_rows, css_class="mk-activity-rows")
                if html_rows
                else "<i>No events match.</i>"
            )
            self.summary.value = f"{len(rows)} event{'s' if len(rows) != 1 else ''} shown"
            self.chart.value = chart(events, self.wb.clock.now())
            self.topic.options = tuple(
                sorted(
                    {hook.topic for hook in self.wb.webhooks.list()} | {row["event"].topic for row in rows}
                )
            )
            current = self.event.value
            options = [("(choose an event)", "")] + [
                (f"{row['event'].created_at} {row['event'].topic} [{row['status']}]", row["event"].id)
                for row in rows
            ]
            if current and current not in {value for _, value in options}:
                options.append((f"{current} (not in the table)", current))
            self.event.options = options
            self.event.value = current
            return rows

    # -- auto refresh ---------------------------------------------------------------------------------
    def start(self, interval: float | None = None) -> None:
        """Refresh every ``interval`` seconds on a daemon thread until :meth:`stop`."""
        if interval is not None:
            self.interval = interval
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mk-activity-refresh", daemon=True)
        self._thread.start()
        if not self.auto.value:
            self.auto.value = True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - a timer thread must survive a bad refresh
                self.status.value = message(f"Auto refresh: {error_text(exc)}", "error")

    def stop(self) -> None:
        """Stop automatic refreshing."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 5)
        if self.auto.value:
            self.auto.value = False

    # -- one event ------------------------------------------------------------------------------------
    def _on_select(self, change: dict) -> None:
        if change["new"] and (self.selected is None or self.selected["id"] != change["new"]):
            self.select(change["new"])

    def select(self, event_id: str) -> dict[str, Any] | None:
        """Show one event (by id or request id): data, raw request, task runs with actions, logs and errors.

        Returns:
            ``wb.describe_event(event_id)``, or None when there is no such event.
        """
        try:
            record = self.wb.describe_event(event_id)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self.selected = record
        if self.event.value != record["id"]:
            if record["id"] not in {value for _, value in self.event.options}:
                self.event.options = [
                    *self.event.options,
                    (f"{record['created_at']} {record['topic']}", record["id"]),
                ]
            self.event.value = record["id"]
        self.detail.value = self._detail(record)
        self._buttons(record)
        self.status.value = ""
        return record

    def _detail(self, record: dict[str, Any]) -> str:
        parts = [
            f"<h4 style='margin:6px 0'>Event <code>{escape(record['id'])}</code></h4>",
            f"<div>Topic <code>{escape(record['topic'])}</code> &middot; source {escape(record['source'])}"
            f" &middot; {escape(record['created_at'])} &middot; {_badge(overall_status(record))}</div>",
        ]
        if record.get("parent_id"):
            parts.append(f"<div>Parent event <code>{escape(record['parent_id'])}</code></div>")
        if record.get("child_event_ids"):
            children = ", ".join(f"<code>{escape(c)}</code>" for c in record["child_event_ids"])
            parts.append(f"<div>Child events: {children}</div>")
        parts += ["<b>Data</b>", pre(record["data"])]
        if record.get("request"):
            parts += ["<b>Raw request</b>", pre(record["request"])]
            try:
                body = self.wb.request_of(record["id"]).body
                parts.append(pre(body[:4096].decode("utf-8", "replace") + (" …" if len(body) > 4096 else "")))
            except MechanicError:
                pass
        run = record.get("run")
        if run:
            error = f" &middot; error: {escape(run['error'])}" if run.get("error") else ""
            parts.append(f"<div>Event run {_badge(run['status'])}{error}</div>")
        for task_run in record.get("task_runs", []):
            parts.append(
                f"<h4 style='margin:6px 0'>Task run: {escape(task_run.get('task_name'))} "
                f"{_badge(task_run['status'])} <small>({escape(task_run['id'][:8])}, "
                f"attempts {task_run['attempts']})</small></h4>"
            )
            if task_run.get("error"):
                parts.append(message(f"Error: {task_run['error']}", "error"))
            for label, key in (("Actions", "actions"), ("Logs", "logs"), ("Errors", "errors")):
                if task_run.get(key):
                    parts += [f"<b>{label}</b>", pre(task_run[key])]
            for action in task_run.get("action_runs", []):
                error = message(f"Error: {action['error']}", "error") if action.get("error") else ""
                parts.append(
                    f"<div>Action <b>{escape(action['type'])}</b> {_badge(action['status'])}</div>"
                    f"{error}<b>Options</b>{pre(action['options'])}<b>Result</b>{pre(action['result'])}"
                )
        return "".join(parts)

    def _buttons(self, record: dict[str, Any]) -> None:
        buttons = []
        for kind, run in self._failed_runs(record):
            button = w.Button(
                description=f"Retry {kind} run {run['id'][:8]}",
                icon="redo",
                tooltip=f"Queue the failed {kind} run again",
            )
            button.add_class("mk-activity-retry")
            button.on_click(lambda _, run_id=run["id"]: self.retry(run_id))
            buttons.append(button)
        replay = w.Button(
            description="Replay event",
            icon="play",
            disabled=not self._replayable(record),
            tooltip="Send the same request to the webhook again (or emit the same user event)",
        )
        replay.add_class("mk-activity-replay")
        replay.on_click(lambda _: self.replay(record["id"]))
        self.buttons.children = [*buttons, replay]

    @staticmethod
    def _failed_runs(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        runs = []
        if record.get("run") and record["run"]["status"] == "failed":
            runs.append(("event", record["run"]))
        for task_run in record.get("task_runs", []):
            if task_run["status"] == "failed":
                runs.append(("task", task_run))
            runs.extend(
                ("action", action)
                for action in task_run.get("action_runs", [])
                if action["status"] == "failed"
            )
        return runs

    @staticmethod
    def _replayable(record: dict[str, Any]) -> bool:
        return bool(record.get("request")) or str(record["topic"]).startswith("user/")

    def retry(self, run_id: str) -> bool:
        """Queue a failed run again (``wb.runs.retry``) for the worker; returns whether it was queued."""
        try:
            run = self.wb.runs.retry(run_id)
        except MechanicError as exc:
            self.status.value = message(f"Not retried: {error_text(exc)}", "error")
            return False
        self.wb.worker.wake()
        if self.selected is not None:
            self.select(self.selected["id"])
        self.refresh()
        self.status.value = message(f"Run {run.id[:8]} queued again.", "ok")
        return True

    def replay(self, event_id: str | None = None) -> str | None:
        """Replay an event (the selected one by default); see the module docstring for how.

        Returns:
            The id of the new event, or None when it could not be replayed (the reason is shown).
        """
        event_id = event_id or (self.selected or {}).get("id")
        if not event_id:
            self.status.value = message("Choose an event first.", "error")
            return None
        try:
            new_id = self._replay(event_id)
        except (MechanicError, OSError) as exc:
            self.status.value = message(f"Not replayed: {error_text(exc)}", "error")
            return None
        if new_id is None:
            return None
        self.refresh()
        self.select(new_id)
        self.status.value = message(f"Replayed as event {new_id}.", "ok")
        return new_id

    def _replay(self, event_id: str) -> str | None:
        event = self.wb.event(event_id)
        if event.webhook_request_id:
            import httpx

            raw = self.wb.request_of(event)
            url = self.wb.webhooks.url(raw.webhook_id, raw.client)
            if raw.query_string is not None:
                url += "?" + raw.query_string
            headers = {name: value for name, value in raw.headers if name.lower() == "content-type"}
            with httpx.Client(timeout=30, trust_env=False) as client:
                answer = client.request(raw.method, url, headers=headers, content=raw.body or None)
            request_id = answer.headers.get("x-request-id")
            if answer.status_code >= 400 or not request_id:
                self.status.value = message(
                    f"Not replayed: the webhook answered {answer.status_code}.", "error"
                )
                return None
            return self.wb.event(request_id).id
        if event.topic.startswith("user/"):
            return self.wb.emit_event(event.topic, event.data).id
        self.status.value = message(
            f"{event.topic} events cannot be replayed: retry their runs instead.", "error"
        )
        return None
