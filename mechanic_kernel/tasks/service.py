"""Create, change, import, export and preview tasks: the task operations of a workbench.

Saving (create, update, enable) enforces what Mechanic's editor enforces: the subscriptions template
renders to valid subscriptions, required options are filled and values fit their flags, and the preview
renders no error (spec §1.6, statement 136). Imports are more forgiving, because half of the task library
ships with required options empty: an import that breaks those rules is stored *disabled*, with the
problems reported, so it can be fixed and then enabled (docs/decisions.md, "Tasks").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..errors import InvalidInput
from ..errors import NotFound
from ..models.tasks import TASK_FIELDS
from ..models.tasks import Task
from ..shop import shop_object
from ..store.contract import SubscriptionLine
from . import options as opts
from . import subscriptions as subs
from .importexport import export_task
from .importexport import load_tasks
from .importexport import read_folder
from .importexport import task_from_json
from .importexport import write_folder
from .preview import preview

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.contract import EventStore
    from ..store.contract import TaskStore

# Fields a caller may change with update(); id and timestamps are the service's.
EDITABLE = tuple(name for name in TASK_FIELDS if name not in ("id", "created_at", "updated_at"))


@dataclass
class ImportResult:
    """One imported task.

    Attributes:
        task: the stored task.
        replaced: True when an existing task of the same name was updated instead of a new one created.
        problems: why the task was stored disabled (options or subscriptions that would block a save).
    """

    task: Task
    replaced: bool = False
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The task's JSON plus ``replaced`` and ``problems``."""
        return {**self.task.to_dict(), "replaced": self.replaced, "problems": self.problems}


def _lines(parsed: list[subs.Subscription]) -> list[SubscriptionLine]:
    """Subscriptions as the store routes events by them."""
    return [SubscriptionLine(sub.topic, sub.offset.amount if sub.offset else None,
                             sub.offset.unit if sub.offset else None, str(sub)) for sub in parsed]


def option_fields(task: Task) -> list[opts.OptionField]:
    """The options form of a task: keys referenced in the script, subscriptions and JavaScript."""
    keys = opts.discover(
        task.script, task.subscriptions_template, task.online_store_javascript, task.order_status_javascript
    )
    return opts.schema(keys)


class Tasks:
    """The tasks of a workbench.

    Args:
        store: task SQL.
        events: event SQL (latest events for previews).
        settings: the workbench settings (shop object, time zone).
        clock: stamps created/updated times and is the default ``now`` of previews.
    """

    def __init__(self, store: TaskStore, events: EventStore, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._events = events
        self._settings = settings
        self._clock = clock

    # -- helpers -----------------------------------------------------------------------------------------
    def shop(self) -> dict[str, Any]:
        """The ``shop`` object task code sees."""
        return shop_object(self._settings.show())

    def _now(self) -> str:
        return isoformat(self._clock.now())

    def _rendered(self, task: Task) -> tuple[Task, list[subs.Subscription]]:
        """The task with ``subscriptions`` re-rendered from its template and the options.

        Raises:
            InvalidInput: the template does not render to valid subscriptions.
        """
        if task.subscriptions_template is None:
            parsed = subs.parse_lines(task.subscriptions)
        else:
            parsed = subs.render(task.subscriptions_template, task.options, self.shop())
        return replace(task, subscriptions=[str(sub) for sub in parsed]), parsed

    def options_form(self, task: Task | str) -> list[opts.OptionField]:
        """The options form of a task (or a task id): one typed field per option key, in order of first use.

        Raises:
            NotFound: no task has this id.
        """
        return option_fields(self.get(task) if isinstance(task, str) else task)

    def problems(self, task: Task) -> list[str]:
        """What would block saving ``task`` enabled: option problems (the preview is not included)."""
        problems = opts.validate(option_fields(task), task.options)
        try:
            self._rendered(task)
        except InvalidInput as exc:
            problems.append(exc.message)
        return problems

    def _check_preview(self, task: Task) -> None:
        result = self.preview(task)
        for entry in result["previews"]:
            if "failure" in entry:
                failure = entry["failure"]
                line = f" (line {failure['line']})" if failure.get("line") else ""
                raise InvalidInput(f"the preview for {entry['topic']} failed{line}: {failure['message']}")
            if entry["errors"]:
                raise InvalidInput(
                    f"the preview for {entry['topic']} rendered an error: {entry['errors'][0]!r}"
                )

    def _validated(self, task: Task, *, check_preview: bool) -> tuple[Task, list[subs.Subscription]]:
        if not isinstance(task.name, str) or not task.name.strip():
            raise InvalidInput("a task needs a non-empty name")
        task, parsed = self._rendered(task)
        if task.enabled:
            opts.check(option_fields(task), task.options)
            if check_preview:
                self._check_preview(task)
        return task, parsed

    # -- CRUD --------------------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        script: str = "",
        subscriptions: list[str] | str | None = None,
        check_preview: bool = True,
        **fields: Any,
    ) -> Task:
        """Create and store a task.

        Args:
            name: the task's name.
            script: the Liquid code.
            subscriptions: the subscriptions template (text, one per line) or a list of lines.
            check_preview: refuse a task whose preview renders an error object or fails (statement 136).
            **fields: any other :class:`Task` field (``options``, ``docs``, ``enabled``…).

        Raises:
            InvalidInput: unknown field, invalid subscriptions, options that break their flags, or a
                preview error (for an enabled task).
        """
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise InvalidInput(f"unknown task field(s): {', '.join(sorted(unknown))}")
        if isinstance(subscriptions, list):
            fields.setdefault("subscriptions_template", "\n".join(subscriptions))
        elif subscriptions is not None:
            fields.setdefault("subscriptions_template", subscriptions)
        now = self._now()
        task = Task(name=name, script=script, created_at=now, updated_at=now, **fields)
        task, parsed = self._validated(task, check_preview=check_preview)
        self._store.insert(task, _lines(parsed))
        return task

    def get(self, task_id: str) -> Task:
        """One task.

        Raises:
            NotFound: no task has this id.
        """
        task = self._store.get(task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id!r}")
        return task

    def list(self, *, enabled: bool | None = None) -> list[Task]:
        """Every task by name (or only the enabled or disabled ones)."""
        return self._store.list(enabled=enabled)

    def subscribed(self, topic: str) -> list[tuple[Task, subs.Subscription]]:
        """Enabled tasks subscribed to ``topic``, each with the subscription (one pair per matching line)."""
        pairs = []
        for task, line in self._store.subscribed(topic):
            amount, unit = line.offset_amount, line.offset_unit
            offset = subs.Offset(amount, unit) if unit is not None and amount is not None else None
            pairs.append((task, subs.Subscription(topic, offset, topic + (str(offset) if offset else ""))))
        return pairs

    def update(self, task_id: str, *, check_preview: bool = True, **fields: Any) -> Task:
        """Change a task; the previous state is kept as a version.

        Raises:
            NotFound: no task has this id.
            InvalidInput: as for :meth:`create`.
        """
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise InvalidInput(f"unknown task field(s): {', '.join(sorted(unknown))}")
        current = self.get(task_id)
        task = replace(current, **fields, updated_at=self._now())
        task, parsed = self._validated(task, check_preview=check_preview)
        self._store.replace(task, _lines(parsed), saved_at=task.updated_at)
        return task

    def delete(self, task_id: str) -> None:
        """Delete a task and its versions.

        Raises:
            NotFound: no task has this id.
        """
        if not self._store.delete(task_id):
            raise NotFound(f"no task with id {task_id!r}")

    def enable(self, task_id: str) -> Task:
        """Enable a task; its options must be valid (the preview is not re-checked).

        Raises:
            NotFound: no task has this id.
            InvalidInput: the options or subscriptions would block saving.
        """
        task = self.get(task_id)
        problems = self.problems(task)
        if problems:
            raise InvalidInput(f"cannot enable {task.name!r}: " + "; ".join(problems))
        self._store.set_enabled(task_id, True, self._now())
        return self.get(task_id)

    def disable(self, task_id: str) -> Task:
        """Disable a task: it receives no more events.

        Raises:
            NotFound: no task has this id.
        """
        self.get(task_id)
        self._store.set_enabled(task_id, False, self._now())
        return self.get(task_id)

    def versions(self, task_id: str) -> list[dict[str, Any]]:
        """Earlier versions of a task, oldest first (``{"version", "saved_at", "task"}``).

        Raises:
            NotFound: no task has this id.
        """
        self.get(task_id)
        return self._store.versions(task_id)

    # -- import / export ---------------------------------------------------------------------------------
    def import_task(self, task: Task, *, replace_existing: bool = False) -> ImportResult:
        """Store an unsaved task read from JSON or a folder.

        With ``replace_existing``, a stored task of the same name is updated (its old state kept as a
        version, its id, creation time and enabled state kept) instead of a new task being created.
        """
        now = self._now()
        problems = self.problems(task)
        if not problems:
            task, parsed = self._rendered(task)
        else:
            try:
                task, parsed = self._rendered(task)
            except InvalidInput:
                parsed = []
        existing = self._store.by_name(task.name) if replace_existing else []
        if existing:
            target = existing[0]
            task = replace(
                task,
                id=target.id,
                created_at=target.created_at,
                updated_at=now,
                enabled=target.enabled and not problems,
            )
            self._store.replace(task, _lines(parsed), saved_at=now)
            return ImportResult(task, replaced=True, problems=problems)
        task = replace(task, created_at=now, updated_at=now, enabled=task.enabled and not problems)
        self._store.insert(task, _lines(parsed))
        return ImportResult(task, problems=problems)

    def import_json(self, data: Any, *, replace: bool = False) -> list[ImportResult]:
        """Import Mechanic task JSON: one task, a list, or ``{"tasks": [...]}``.

        Raises:
            InvalidInput: malformed task JSON (nothing is imported then).
        """
        tasks = [task_from_json(item) for item in load_tasks(data)]
        return [self.import_task(task, replace_existing=replace) for task in tasks]

    def import_folder(self, folder: str | Path, *, replace: bool = False) -> ImportResult:
        """Import a Mechanic CLI task folder (``task.json``, ``script.liquid``…).

        Raises:
            InvalidInput: the folder has no valid ``task.json``.
        """
        return self.import_task(read_folder(folder), replace_existing=replace)

    def export(self, task_id: str, *, library: bool = False) -> dict[str, Any]:
        """Mechanic task JSON for one task (``library=True``: only the task library's keys).

        Raises:
            NotFound: no task has this id.
        """
        return export_task(self.get(task_id), library=library)

    def export_folder(self, task_id: str, folder: str | Path) -> Path:
        """Write one task in the Mechanic CLI folder layout.

        Raises:
            NotFound: no task has this id.
        """
        return write_folder(self.get(task_id), folder)

    # -- preview -----------------------------------------------------------------------------------------
    def preview(
        self,
        task: Task | str,
        *,
        topic: str | None = None,
        event: dict[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Preview a stored task (by id) or an unsaved one; nothing is performed or stored.

        Args:
            task: a task or a task id.
            topic: preview only this topic.
            event: preview this ``{"topic", "data"}`` instead of the usual preview events.
            now: the frozen moment of the preview; the workbench clock's now when None.

        Raises:
            NotFound: no task has this id.
            InvalidInput: the subscriptions template does not render to valid subscriptions.
        """
        if isinstance(task, str):
            task = self.get(task)
        settings = self._settings.show()

        def latest(topic_: str) -> Any:
            found = self._events.list(topic=topic_, limit=1)
            return found[0] if found else None

        return preview(
            task,
            shop=shop_object(settings),
            now=now or self._clock.now(),
            timezone=settings.get("timezone") or "UTC",
            currency=settings.get("currency") or "USD",
            locale=settings.get("locale") or "en",
            topic=topic,
            event=event,
            latest_event=latest,
            parent_of=self._events.get,
        )
