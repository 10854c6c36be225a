"""The store contract: everything the engine asks of a store, in domain terms.

A backend (:mod:`.sqlite` for the embedded default, :mod:`.postgres` for many processes on one database)
implements these protocols, and the contract tests (``tests/store``) hold every backend to the same behaviour.
Nothing above the store sees a connection, a cursor or SQL: reads return domain records
(:mod:`mechanic_kernel.models`) or plain values, and each write is one *unit of work* that commits atomically:

- "record this webhook request as an event with its event run" (:meth:`EventStore.add_from_webhook`);
- "claim up to N due runs under a lease" (:meth:`RunStore.claim`);
- "commit this run's outcome with the runs and events it creates" (:meth:`RunStore.commit`);
- "columns of these events for a frame" (:meth:`FrameStore.events`).

A write that returns a future resolves it only after its transaction committed (durably: SQLite with
``synchronous=FULL``, PostgreSQL with ``synchronous_commit=on``), so a caller that answers a client once the
future resolves never acknowledges what is not on disk. A write that fails leaves nothing behind.

Times cross the contract as the engine's fixed-width UTC text (:func:`mechanic_kernel.clock.isoformat`), which
sorts chronologically in both backends; JSON values as Python values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol
from typing import TypeVar
from typing import Union

from ..models.events import Event
from ..models.events import RawRequest
from ..models.files import StoredFile
from ..models.runs import Run
from ..models.runs import RunStatus
from ..models.runs import check_transition
from ..models.tasks import Task
from ..models.webhooks import Webhook

T = TypeVar("T")

AnyFuture = Union["Future[Any]", "asyncio.Future[Any]"]
"""A write's completion: an :class:`asyncio.Future` when the caller gave its loop, else a thread future."""


# -- records the contract exchanges -------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscriptionLine:
    """One distinct subscription of a task, as the store routes events by it.

    Attributes:
        topic: the topic subscribed to.
        offset_amount: the delay's amount, or None for no delay.
        offset_unit: the delay's plural unit (``days``), or None.
        line: the line as written (``shopify/orders/paid+1.day``).
    """

    topic: str
    offset_amount: int | None
    offset_unit: str | None
    line: str


@dataclass(frozen=True)
class EventRoute:
    """Who may answer an event.

    Attributes:
        task_ids: only these tasks (None: every subscribed task).
        origin_task_id: the task that caused the event (``mechanic/user/*``, perform and error events).
        origin_run_id: the run behind it (the loop guard compares a perform run with it).
    """

    task_ids: list[str] | None = None
    origin_task_id: str | None = None
    origin_run_id: str | None = None


@dataclass
class NewEvent:
    """An event to create with its event run: a child event, an error event, a perform event.

    ``run_at`` later than the commit's ``now`` schedules the event run for then.
    """

    event: Event
    task_ids: list[str] | None = None
    origin_task_id: str | None = None
    origin_run_id: str | None = None
    run_at: str | None = None


@dataclass
class RunChange:
    """Move ``run`` (as the caller read it) to ``target``, setting ``fields`` (columns of :class:`Run`)."""

    run: Run
    target: RunStatus
    fields: dict[str, Any]


@dataclass
class Changes:
    """What one perform (or one API call) changes, committed atomically by :meth:`RunStore.commit`.

    Every status change is a compare-and-set: it applies only if the run still has the status *and* the
    attempt count the caller read. A run claimed again meanwhile (its lease expired and another worker took it
    over) has one more attempt, so a late outcome of the earlier attempt is refused, not recorded twice.
    """

    updates: list[RunChange] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)

    def move(self, run: Run, target: RunStatus, **fields: Any) -> None:
        """Change ``run`` to ``target`` (checked against the transition table now, again when committed)."""
        check_transition(run.status, target)
        self.updates.append(RunChange(run, target, fields))


@dataclass(frozen=True)
class Lease:
    """A claim's holder and how long it holds: a run started under a lease that expired is taken over.

    Attributes:
        worker: who claims (host, process and worker; shown on the run as ``claimed_by``).
        until: when the claim lapses unless renewed (:meth:`RunStore.renew`).
    """

    worker: str
    until: str


@dataclass(frozen=True)
class EventQuery:
    """Which events a frame wants: every given condition holds (``since`` inclusive, ``until`` exclusive)."""

    topics: list[str] | None = None
    webhook_ids: list[str] | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class RunQuery:
    """Which runs of one kind a frame wants; topics and webhooks are the run's event's, times its creation."""

    kind: str
    topics: list[str] | None = None
    webhook_ids: list[str] | None = None
    task_ids: list[str] | None = None
    statuses: list[str] | None = None
    since: str | None = None
    until: str | None = None


SEQ_DIGITS = 16
MS_DIGITS = 16
NUMBER_WIDTH = SEQ_DIGITS + MS_DIGITS
EVENT_TEXT_COLUMNS = ("id", "topic", "source", "webhook_id", "webhook_request_id", "parent_id")
"""Text columns of :class:`EventColumns`, in order (``data`` follows when asked for)."""


@dataclass
class EventColumns:
    """Events as columns, oldest first.

    Attributes:
        count: how many events.
        numbers: ``count`` fixed-width records of :data:`NUMBER_WIDTH` ASCII digits, concatenated: the store's
            insertion order (:data:`SEQ_DIGITS` digits), then ``created_at`` in milliseconds since the Unix
            epoch (:data:`MS_DIGITS` digits; 0 when the text is not a time). One string instead of two Python
            ints per event lets the frame decode a million rows in one vectorised step.
        texts: each of :data:`EVENT_TEXT_COLUMNS` (and ``data`` when asked for) as a list of str, "" for NULL.
    """

    count: int = 0
    numbers: str = ""
    texts: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Table:
    """Rows for a frame: column names and one tuple per row.

    Time columns (``created_at``, ``run_at``, ``started_at``, ``stopped_at``) hold milliseconds since the Unix
    epoch, or None; JSON columns (``options``, ``result``) hold compact JSON text.
    """

    names: list[str]
    rows: list[tuple[Any, ...]]


# -- the stores --------------------------------------------------------------------------------------------
class WebhookStore(Protocol):
    """Webhooks."""

    def insert(self, webhook: Webhook) -> None:
        """Store a new webhook."""

    def get(self, webhook_id: str) -> Webhook | None:
        """The webhook with this id, or None."""

    def list(self) -> list[Webhook]:
        """Every webhook, oldest first."""

    def update(self, webhook_id: str, fields: dict[str, Any]) -> bool:
        """Set fields (``name, topic, mode, enabled, updated_at``) of one webhook; True if it exists."""

    def delete(self, webhook_id: str) -> bool:
        """Remove one webhook (its events stay); True if it existed."""


class SettingsStore(Protocol):
    """Settings: one JSON value per key."""

    def all(self) -> dict[str, Any]:
        """Every stored setting."""

    def put(self, key: str, value: Any) -> None:
        """Store one setting."""

    def remove(self, key: str) -> None:
        """Forget one setting."""


class EventStore(Protocol):
    """Events and the raw requests behind webhook events."""

    def add_from_webhook(
        self, event: Event, request: RawRequest, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> AnyFuture:
        """Record a webhook request as an event, with its raw request and its due event run, atomically.

        Returns a future that resolves once committed (an :class:`asyncio.Future` of ``loop`` when given); it
        fails with :class:`~mechanic_kernel.errors.StoreError` when the store cannot take the event.
        """

    def add(self, event: Event) -> Future[None]:
        """Store an event that no HTTP request created, with its due event run."""

    def get(self, event_id: str) -> Event | None:
        """The event with this id or this webhook request id, or None."""

    def list(
        self,
        *,
        topic: str | None = None,
        webhook_id: str | None = None,
        limit: int | None = 50,
        search: str | None = None,
    ) -> list[Event]:
        """Events newest first; ``search`` matches an id, a request id, or text in the topic or data."""

    def count(self) -> int:
        """How many events are stored."""

    def request(self, request_id: str) -> RawRequest | None:
        """The raw request with this id, or None."""

    def children_of(self, event_id: str) -> list[str]:
        """Ids of the child events of an event, oldest first."""


class TaskStore(Protocol):
    """Tasks, the subscriptions events are routed by, and saved versions."""

    def insert(self, task: Task, subscriptions: list[SubscriptionLine]) -> None:
        """Store a new task with its subscriptions (a line repeated verbatim routes once)."""

    def replace(self, task: Task, subscriptions: list[SubscriptionLine], *, saved_at: str) -> bool:
        """Overwrite a task, first keeping its current state as a version; True if it existed."""

    def set_enabled(self, task_id: str, enabled: bool, updated_at: str) -> bool:
        """Enable or disable a task without keeping a version; True if it exists."""

    def get(self, task_id: str) -> Task | None:
        """The task with this id, or None."""

    def by_name(self, name: str) -> list[Task]:
        """Tasks with exactly this name, oldest first."""

    def list(self, *, enabled: bool | None = None) -> list[Task]:
        """Every task (or only enabled or disabled ones), by name."""

    def subscribed(self, topic: str) -> list[tuple[Task, SubscriptionLine]]:
        """Enabled tasks subscribed to exactly ``topic``: a pair per distinct subscription, oldest first."""

    def versions(self, task_id: str) -> list[dict[str, Any]]:
        """Earlier versions of a task, oldest first: ``{"version", "saved_at", "task"}``."""

    def delete(self, task_id: str) -> bool:
        """Remove a task with its subscriptions and versions; True if it existed."""


class RunStore(Protocol):
    """Runs, event routes, event filters and retention."""

    def claim(
        self, now: str, *, lease: Lease, kinds: tuple[str, ...] | None = None, limit: int = 1
    ) -> Future[list[Run]]:
        """Start up to ``limit`` runs, most urgent first, in one transaction.

        First, scheduled runs whose ``run_at`` is not after ``now`` become due. Then runs still ``started``
        under a lease that expired before ``now`` (their worker died) are taken over: started again with one
        more attempt, and returned with ``taken_over`` set so the engine applies the retry rules. Then due
        runs
        are started by urgency: lowest priority number (action, task, event), earliest ``run_at``, oldest.
        Every run returned holds ``lease``. Two claimers, in any processes, never start the same run.
        """

    def commit(
        self, changes: Changes, *, now: str, claim: int = 0, lease: Lease | None = None
    ) -> Future[list[Run]]:
        """Apply ``changes`` in one transaction, then (``claim`` > 0, with ``lease``) claim as :meth:`claim`.

        The future fails with :class:`~mechanic_kernel.errors.Conflict`, and nothing is written, when a run
        was changed meanwhile (its status or attempts differ from what the caller read).
        """

    def renew(self, run_ids: list[str], lease: Lease) -> Future[int]:
        """Extend the lease of runs ``lease.worker`` still holds (started); return how many it holds."""

    def get(self, run_id: str) -> Run | None:
        """One run, or None."""

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        event_id: str | None = None,
        task_id: str | None = None,
        parent_run_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Run]:
        """Runs matching every filter, in creation order (by position under a parent), or newest first."""

    def count(self, *, status: str | None = None) -> int:
        """How many runs (with that status)."""

    def any_due(self, max_priority: int) -> bool:
        """Whether a due run of priority ``max_priority`` or more urgent (a lower number) waits."""

    def next_run_at(self) -> str | None:
        """The earliest ``run_at`` of a scheduled run, or of a started run's lease expiry, or None."""

    def route(self, event_id: str) -> EventRoute:
        """How an event is routed."""

    def event_overview(self, event_ids: list[str]) -> list[dict[str, Any]]:
        """``event_id, kind, status, task_id, details`` of the event and task runs of these events."""

    def filters(self) -> list[dict[str, Any]]:
        """Every event filter (``id, name, source, created_at``), by name."""

    def put_filter(self, name: str, source: str, created_at: str) -> dict[str, Any]:
        """Create or replace the event filter called ``name``."""

    def remove_filter(self, name: str) -> bool:
        """Delete an event filter; False when there was none of that name."""

    def purgeable_events(self, cutoff: str, generations: int = 5, limit: int = 500) -> list[str]:
        """Events complete since before ``cutoff`` along with ``generations`` of descendants (spec §1.11)."""

    def purge_events(self, event_ids: list[str]) -> int:
        """Delete events with their runs, routes and webhook requests; return how many events went."""

    def on_due(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from any thread) whenever runs may have come due; returns the unsubscribe call.

        Commits of this process always call it; a backend with cross-process notification
        (:attr:`Store.notifies_other_processes`) also calls it for commits of other processes.
        """


class CacheStore(Protocol):
    """The cache (one JSON value per key, each with an expiry) and cache endpoints."""

    def get(self, key: str, now: str) -> tuple[bool, Any]:
        """``(found, value)`` for a key that has not expired at ``now``."""

    def items(self, now: str) -> list[tuple[str, Any]]:
        """Every live ``(key, value)``, by key."""

    def expiry(self, key: str, now: str) -> str | None:
        """When a live key expires, or None."""

    def update(self, key: str, now: str, change: Callable[[bool, Any], tuple[str, Any, T]]) -> T:
        """Read-modify-write one key in one transaction.

        ``change(found, value)`` returns ``(op, payload, result)``: op ``"put"`` stores ``payload`` =
        ``(value, expires_at)``, ``"del"`` deletes the key. What it raises reaches the caller; nothing is
        written then. Expired keys are dropped on the way.
        """

    def add_endpoint(self, key: str, created_at: str) -> dict[str, Any]:
        """A new endpoint serving ``key``."""

    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        """One endpoint, or None."""

    def endpoints(self) -> list[dict[str, Any]]:
        """Every endpoint, oldest first."""

    def remove_endpoint(self, endpoint_id: str) -> bool:
        """Delete an endpoint; False when it did not exist."""


class OutboxStore(Protocol):
    """Outbox messages (every email action, captured or delivered) and email templates."""

    def put(self, message: dict[str, Any]) -> None:
        """Store a message, replacing the one with the same id."""

    def get(self, message_id: str) -> dict[str, Any]:
        """One message with its body, HTML and raw bytes; raises NotFound."""

    def of_action_run(self, action_run_id: str) -> dict[str, Any] | None:
        """The message an action run produced, or None."""

    def list(self, *, limit: int | None = 50, status: str | None = None) -> list[dict[str, Any]]:
        """Messages newest first, without their bodies."""

    def set_template(self, name: str, body: str, *, updated_at: str) -> None:
        """Create or replace an email template; raises InvalidInput for a bad name or body."""

    def template(self, name: str) -> str | None:
        """The Liquid source of one template, or None."""

    def templates(self) -> list[dict[str, Any]]:
        """Every template (``name, body, updated_at``), by name."""

    def delete_template(self, name: str) -> bool:
        """Remove one template; True if it existed."""


class FileStore(Protocol):
    """Records of files generated by the files action."""

    def add(self, files: list[StoredFile]) -> None:
        """Record generated files, all in one transaction."""

    def get(self, token: str) -> StoredFile | None:
        """The file with this URL token, or None."""

    def of_action_run(self, action_run_id: str) -> list[StoredFile]:
        """The files one action run generated, oldest first."""


class FrameStore(Protocol):
    """Bulk reads behind the pandas views; every filter is applied by the store."""

    def events(self, query: EventQuery, *, data: bool = False, limit: int | None = None) -> EventColumns:
        """The events ``query`` selects (the newest ``limit``), as columns, read from one snapshot."""

    def task_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Task runs, newest first.

        Columns: ``id, event_id, topic, task_id, task_name, status, created_at, run_at, started_at,
        stopped_at, attempts, actions, logs, errors, error`` (``actions``, ``logs``, ``errors``: how many were
        rendered).
        """

    def action_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Action runs, newest first.

        Columns: ``id, task_run_id, event_id, topic, task_id, position, type, status, created_at, run_at,
        started_at, stopped_at, attempts, options, result, error``.
        """

    def logs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Log and error entries of task runs, newest run first.

        Columns: ``task_run_id, event_id, topic, task_id, task_name, status, created_at, level, position,
        message``.
        """


class Store(Protocol):
    """One store: every record a workbench keeps.

    Attributes:
        url: where it is, with any password masked (for messages and logs).
        backend: ``sqlite`` or ``postgresql``.
        notifies_other_processes: whether :meth:`RunStore.on_due` hears commits of other processes (else a
            worker polls for them).
    """

    url: str
    backend: str
    notifies_other_processes: bool
    webhooks: WebhookStore
    settings: SettingsStore
    events: EventStore
    tasks: TaskStore
    runs: RunStore
    cache: CacheStore
    outbox: OutboxStore
    files: FileStore
    frames: FrameStore

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tell the store that ``loop`` mostly receives webhooks; it may commit their events on that loop."""

    def counts(self) -> dict[str, int]:
        """Rows per record kind (see :meth:`export`)."""

    def export(self, kind: str, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Every record of one kind (a table of :meth:`counts`) in insertion order, in batches, as stored."""

    def import_records(self, kind: str, records: list[dict[str, Any]]) -> None:
        """Add records exported by :meth:`export` of any backend, keeping their order."""

    def close(self) -> None:
        """Finish pending writes and release connections."""
