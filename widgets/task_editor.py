"""The task editor: subscriptions, Liquid code, snippets, options form, live preview, save, import, export."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

import ipywidgets as w

from mechanic_kernel import MechanicError
from mechanic_kernel import Task
from mechanic_kernel import Workbench

from ._panel import Panel
from ._panel import align_labels
from ._panel import error_text
from ._panel import escape
from ._panel import message
from ._panel import pre
from .debounce import Debouncer
from .options_form import OptionsForm

# Snippets of the buttons above the code, appended at the end (a Textarea does not report its cursor).
SNIPPETS: dict[str, str] = {
    "Echo": '{% action "echo", event.data %}',
    "Log": "{% log topic: event.topic, data: event.data %}",
    "HTTP": (
        '{% action "http" %}\n  {\n    "method": "post",\n    "url": "https://example.com/webhook",\n'
        '    "body": {{ event.data | json }}\n  }\n{% endaction %}'
    ),
    "Event": '{% action "event", topic: "user/example/followup", data: event.data %}',
    "Cache": '{% action "cache", "set", "last_event_data", event.data %}',
}
_OFFSET = re.compile(r"^(?P<topic>[^+]+)\+(?P<amount>\d+)\.(?P<unit>[a-z]+?)s?$")
# Monospace for the code area: ipywidgets' Textarea style has no font family, so one rule scoped to a class.
_STYLE = "<style>.mk-code textarea { font-family: monospace; font-size: 12px; }</style>"


def summary(line: str) -> str:
    """One sentence for a subscription line (``When user/a/b is triggered, this task runs 1 hour later.``)."""
    line = line.strip()
    match = _OFFSET.match(line)
    if match is None or int(match.group("amount")) == 0:
        topic = match.group("topic") if match else line
        return f"When {topic} is triggered, this task runs."
    amount, unit = int(match.group("amount")), match.group("unit")
    plural = "s" if amount != 1 else ""
    return f"When {match.group('topic')} is triggered, this task runs {amount} {unit}{plural} later."


class TaskEditor(Panel):
    """Write, preview, save, enable/disable, import and export tasks.

    Buttons call :meth:`insert_snippet`, :meth:`preview`, :meth:`save`, :meth:`enable`, :meth:`disable`,
    :meth:`import_json`, :meth:`export_json`, :meth:`load` and :meth:`new`. The preview re-renders after
    ``debounce`` seconds of quiet whenever the code, subscriptions, options or preview data change; the
    render runs on a timer thread that only sets widget values. ``debounce=0`` previews at once
    (tests and scripts).

    Args:
        wb: the workbench (a new one on the default home when None).
        task_id: a stored task to open.
        debounce: seconds to wait after the last change before previewing.
    """

    def __init__(
        self, wb: Workbench | None = None, task_id: str | None = None, *, debounce: float = 0.5
    ) -> None:
        super().__init__(wb)
        self.debounce = debounce
        self.task_id: str | None = None
        self.result: dict[str, Any] | None = None
        self._debouncer = Debouncer(self._preview_in_thread)
        self._loading = False
        self.tasks = w.Dropdown(
            description="Open", options=[("(new task)", "")], value="", layout=w.Layout(width="480px")
        )
        self.tasks.add_class("mk-task-select")
        self.tasks.observe(self._on_pick, names="value")
        self.name = w.Text(
            description="Title", placeholder="e.g. Echo webhook data", layout=w.Layout(width="480px")
        )
        self.name.add_class("mk-task-name")
        self.subscriptions = w.Textarea(
            description="Subscriptions",
            placeholder="one per line, e.g. user/webhook/test or user/webhook/test+1.hour",
            layout=w.Layout(width="95%", height="60px"),
        )
        self.subscriptions.add_class("mk-task-subscriptions")
        self.code = w.Textarea(
            description="Code",
            placeholder='Liquid, e.g. {% action "echo", event.data %}',
            layout=w.Layout(width="95%", height="220px"),
        )
        self.code.add_class("mk-code")
        self.code.add_class("mk-task-code")
        snippet_buttons = []
        for label in SNIPPETS:
            button = w.Button(
                description=label,
                tooltip=f"Insert the {label} snippet at the end of the code",
                layout=w.Layout(width="80px"),
            )
            button.add_class(f"mk-snippet-{label.lower()}")
            button.on_click(lambda _, name=label: self.insert_snippet(name))
            snippet_buttons.append(button)
        self.preview_data = w.Textarea(
            description="Preview data",
            placeholder="optional JSON for event.data in the preview (else the latest event of each topic)",
            layout=w.Layout(width="95%", height="50px"),
        )
        self.preview_data.add_class("mk-task-preview-data")
        self.options = OptionsForm(self.wb, on_change=self._changed)
        self.summaries = w.HTML()
        self.summaries.add_class("mk-task-summary")
        self.warnings = w.HTML()
        self.warnings.add_class("mk-task-warnings")
        self.preview_html = w.HTML()
        self.preview_html.add_class("mk-task-preview")
        self.status = w.HTML()
        self.status.add_class("mk-task-status")
        self.save_button = w.Button(
            description="Save",
            button_style="primary",
            icon="save",
            tooltip="Save the task (blocked by preview errors and invalid options)",
        )
        self.save_button.add_class("mk-task-save")
        self.save_button.on_click(lambda _: self.save())
        self.enable_button = w.Button(description="Enable", icon="play", tooltip="Enable the saved task")
        self.enable_button.add_class("mk-task-enable")
        self.enable_button.on_click(lambda _: self.enable())
        self.disable_button = w.Button(description="Disable", icon="pause", tooltip="Disable the saved task")
        self.disable_button.add_class("mk-task-disable")
        self.disable_button.on_click(lambda _: self.disable())
        self.new_button = w.Button(description="New", icon="file", tooltip="Start a new task")
        self.new_button.on_click(lambda _: self.new())
        self.import_text = w.Textarea(
            description="Task JSON",
            placeholder="paste Mechanic task JSON to import, or choose a file",
            layout=w.Layout(width="95%", height="80px"),
        )
        self.import_text.add_class("mk-task-import-text")
        self.import_file = w.FileUpload(description="JSON file", accept=".json", multiple=False)
        self.import_file.observe(self._on_file, names="value")
        self.import_button = w.Button(description="Import", icon="upload", tooltip="Import the task JSON")
        self.import_button.add_class("mk-task-import")
        self.import_button.on_click(lambda _: self.import_json())
        self.export_button = w.Button(description="Export", icon="download", tooltip="Show the task as JSON")
        self.export_button.add_class("mk-task-export")
        self.export_button.on_click(lambda _: self.export_json())
        self.export_text = w.Textarea(
            description="Export", disabled=True, layout=w.Layout(width="95%", height="120px")
        )
        self.export_text.add_class("mk-task-export-text")
        for control in (self.code, self.subscriptions, self.preview_data):
            control.observe(lambda _: self._changed(), names="value")
        editor = w.VBox(
            [
                self.tasks,
                self.name,
                self.subscriptions,
                self.summaries,
                self.warnings,
                w.HBox(snippet_buttons),
                self.code,
                w.HTML("<b>Options</b>"),
                self.options.widget,
                w.HBox([self.save_button, self.enable_button, self.disable_button, self.new_button]),
                self.status,
            ]
        )
        preview = w.VBox([self.preview_data, w.HTML("<b>Preview</b>"), self.preview_html])
        transfer = w.VBox(
            [
                self.import_text,
                w.HBox([self.import_file, self.import_button, self.export_button]),
                self.export_text,
            ]
        )
        sections = w.Accordion(
            children=[preview, transfer], titles=("Preview", "Import / export"), selected_index=0
        )
        self.widget = w.VBox(
            [w.HTML(_STYLE), w.HTML("<h3 style='margin:4px 0'>Task editor</h3>"), editor, sections]
        )
        self.widget.add_class("mk-task-editor")
        align_labels(self.widget)
        self.refresh_tasks()
        if task_id:
            self.load(task_id)
        else:
            self._changed()

    # -- the task being edited ------------------------------------------------------------------------------
    def task(self) -> Task:
        """The unsaved task the form describes."""
        kwargs: dict[str, Any] = {
            "name": self.name.value.strip() or "Untitled task",
            "script": self.code.value,
            "subscriptions_template": self.subscriptions.value,
        }
        if self.task_id:
            try:
                stored = self.wb.tasks.get(self.task_id)
                kwargs.update(
                    id=stored.id,
                    created_at=stored.created_at,
                    enabled=stored.enabled,
                    preview_event_definitions=stored.preview_event_definitions,
                )
            except MechanicError:
                self.task_id = None
        task = Task(**kwargs)
        task.options = {key: value for key, value in self.options.current().items()}
        return task

    def _changed(self) -> None:
        if self._loading:
            return
        self.options.update(self.task())
        if self.debounce <= 0:
            self.preview()
            return
        self._debouncer.touch(self.debounce)

    def _preview_in_thread(self) -> None:
        try:
            self.preview()
        except Exception as exc:  # noqa: BLE001 - a timer thread must not die silently
            self.preview_html.value = message(f"Preview failed: {error_text(exc)}", "error")

    def insert_snippet(self, name: str) -> None:
        """Append a snippet (``Echo``, ``Log``, ``HTTP``, ``Event``, ``Cache``) to the code."""
        code = self.code.value
        self.code.value = code + ("\n" if code and not code.endswith("\n") else "") + SNIPPETS[name] + "\n"

    # -- preview --------------------------------------------------------------------------------------------
    def check_subscriptions(self, lines: list[str]) -> list[str]:
        """Warnings for ``user/`` subscriptions that no webhook sends, with the closest webhook topic."""
        topics = sorted({hook.topic for hook in self.wb.webhooks.list()})
        found = []
        for line in lines:
            topic = line.split("+", 1)[0].strip()
            if not topic.startswith("user/") or topic in topics:
                continue
            close = difflib.get_close_matches(topic, topics, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            found.append(
                f"No webhook has the topic {topic} (only an Event action or wb.emit_event can create "
                f"such events).{hint}"
            )
        return found

    def preview(self) -> dict[str, Any]:
        """Render and show the preview now; return ``wb.tasks.preview``'s result (``{"error": …}`` on error).

        With preview data, each subscribed topic is previewed with that data; otherwise with the usual
        preview events (the task's definitions, the latest event of the topic, sample data).
        """
        task = self.task()
        raw_lines = [line.strip() for line in task.subscriptions_template.splitlines() if line.strip()]
        try:
            data_text = self.preview_data.value.strip()
            if data_text:
                data = json.loads(data_text)
                result = self.wb.tasks.preview(task)
                previews = []
                for topic in dict.fromkeys(line.split("+", 1)[0] for line in result["subscriptions"]):
                    previews += self.wb.tasks.preview(task, event={"topic": topic, "data": data})["previews"]
                result["previews"] = previews
                result["ok"] = all("failure" not in entry for entry in previews)
            else:
                result = self.wb.tasks.preview(task)
        except (MechanicError, ValueError) as exc:
            result = {"error": error_text(exc), "subscriptions": raw_lines, "previews": [], "ok": False}
        self.result = result
        lines = result["subscriptions"]
        self.summaries.value = (
            "".join(f"<div>{escape(summary(line))}</div>" for line in lines)
            or "<i>No subscriptions: add a topic per line.</i>"
        )
        self.warnings.value = "".join(message(text, "warning") for text in self.check_subscriptions(lines))
        self.preview_html.value = self._render(result)
        return result

    def _render(self, result: dict[str, Any]) -> str:
        if "error" in result:
            return message(result["error"], "error")
        code_lines = self.code.value.splitlines()
        parts = []
        for entry in result["previews"]:
            source = {
                "definition": "preview event definition",
                "event": "latest event",
                "sample": "sample data",
                "none": "no data (null)",
                "given": "preview data",
            }.get(entry["source"], entry["source"])
            parts.append(
                f"<h4 style='margin:6px 0'><code>{escape(entry['topic'])}</code> "
                f"<small>({escape(entry.get('description') or source)})</small></h4>"
            )
            failure = entry.get("failure")
            if failure:
                line = failure.get("line")
                where = f"line {line}: " if line else ""
                shown = (
                    f" <code>{escape(code_lines[line - 1].strip())}</code>"
                    if line and line <= len(code_lines)
                    else ""
                )
                parts.append(
                    f'<div class="mk-preview-failure" style="color:#b00020">{escape(failure["kind"])} '
                    f"error, {escape(where)}{escape(failure['message'])}{shown}</div>"
                )
            for action in entry["actions"]:
                parts.append(
                    f"<div class='mk-preview-action'>Action <b>{escape(action['type'])}</b></div>"
                    + pre(action["options"])
                )
            for log in entry["logs"]:
                parts.append("<div class='mk-preview-log'>Log</div>" + pre(log))
            if entry["errors"]:
                tag_lines = [
                    str(n) for n, text in enumerate(code_lines, 1) if "error" in text and "{%" in text
                ]
                where = f" (error tags on line {', '.join(tag_lines)})" if tag_lines else ""
                for error in entry["errors"]:
                    parts.append(
                        f'<div class="mk-preview-error" style="color:#b00020">Error{escape(where)}</div>'
                        + pre(error)
                    )
            if not (entry["actions"] or entry["logs"] or entry["errors"] or failure):
                parts.append("<i>No actions, logs or errors.</i>")
        return "".join(parts) or "<i>Nothing to preview.</i>"

    # -- saving ---------------------------------------------------------------------------------------------
    def save(self) -> Task | None:
        """Create or update the task; refused (reason shown) on invalid options or a preview error."""
        task = self.task()
        fields = {
            "script": task.script,
            "subscriptions_template": task.subscriptions_template,
            "options": task.options,
        }
        try:
            if self.task_id:
                saved = self.wb.tasks.update(self.task_id, name=self.name.value, **fields)
            else:
                saved = self.wb.tasks.create(self.name.value, **fields)
        except MechanicError as exc:
            self.status.value = message(f"Not saved: {error_text(exc)}", "error")
            return None
        self.task_id = saved.id
        self.refresh_tasks()
        self.status.value = message(
            f"Saved {saved.name} ({'enabled' if saved.enabled else 'disabled'}).", "ok"
        )
        return saved

    def _set_enabled(self, enabled: bool) -> Task | None:
        if not self.task_id:
            self.status.value = message("Save the task first.", "error")
            return None
        try:
            task = self.wb.tasks.enable(self.task_id) if enabled else self.wb.tasks.disable(self.task_id)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self.refresh_tasks()
        self.status.value = message(f"{task.name} {'enabled' if task.enabled else 'disabled'}.", "ok")
        return task

    def enable(self) -> Task | None:
        """Enable the saved task."""
        return self._set_enabled(True)

    def disable(self) -> Task | None:
        """Disable the saved task: it receives no more events."""
        return self._set_enabled(False)

    # -- loading, import, export ----------------------------------------------------------------------------
    def refresh_tasks(self) -> None:
        """Re-read the task list of the Open dropdown."""
        self._loading = True
        try:
            self.tasks.options = [("(new task)", "")] + [
                (f"{task.name}{'' if task.enabled else ' (disabled)'}", task.id)
                for task in self.wb.tasks.list()
            ]
            self.tasks.value = self.task_id or ""
        finally:
            self._loading = False

    def _on_pick(self, change: dict) -> None:
        if self._loading:
            return
        if change["new"]:
            self.load(change["new"])
        else:
            self.new()

    def load(self, task_id: str) -> Task | None:
        """Open a stored task."""
        try:
            task = self.wb.tasks.get(task_id)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self._fill(task.id, task.name, task.script, task.subscriptions_source, task.options)
        self.status.value = message(f"Opened {task.name}.")
        return task

    def new(self) -> None:
        """Start a new, empty task."""
        self._fill(None, "", "", "", {})
        self.status.value = ""

    def _fill(self, task_id: str | None, name: str, script: str, subscriptions: str, options: dict) -> None:
        self._loading = True
        try:
            self.task_id = task_id
            self.name.value, self.code.value, self.subscriptions.value = name, script, subscriptions
        finally:
            self._loading = False
        self.options.update(self.task(), values=options)
        self.refresh_tasks()
        self._changed()

    def _on_file(self, change: dict) -> None:
        for item in change["new"] or ():
            self.import_text.value = bytes(item["content"]).decode("utf-8-sig")

    def import_json(self, text: str | None = None, *, replace: bool = False) -> list[Task]:
        """Import Mechanic task JSON (the Task JSON box when ``text`` is None) and open the first task."""
        text = self.import_text.value if text is None else text
        try:
            results = self.wb.tasks.import_json(json.loads(text), replace=replace)
        except ValueError as exc:
            self.status.value = message(f"Not imported: the JSON does not parse: {exc}", "error")
            return []
        except MechanicError as exc:
            self.status.value = message(f"Not imported: {error_text(exc)}", "error")
            return []
        if results:
            self.load(results[0].task.id)
        problems = [f"{r.task.name}: {p}" for r in results for p in r.problems]
        text = f"Imported {len(results)} task{'s' if len(results) != 1 else ''}."
        self.status.value = message(
            text + (" Stored disabled: " + "; ".join(problems) if problems else ""),
            "warning" if problems else "ok",
        )
        return [result.task for result in results]

    def export_json(self) -> str | None:
        """The saved task as Mechanic task JSON (also shown in the Export box)."""
        if not self.task_id:
            self.status.value = message("Save the task first.", "error")
            return None
        text = json.dumps(self.wb.tasks.export(self.task_id), indent=2, ensure_ascii=False)
        self.export_text.value = text
        return text
