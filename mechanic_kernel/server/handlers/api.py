"""The management REST API under ``/mechanic/api/``: thin JSON handlers over the Workbench.

The classes here are plain Tornado handlers with no authentication of their own; the Jupyter extension mounts
them behind Jupyter's authentication (token or login cookie) and never serves them publicly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from tornado import web

from ...clock import parse_iso
from ...errors import BadRequest
from ...errors import InvalidInput
from ...errors import MechanicError
from ...tasks.importexport import task_from_json

if TYPE_CHECKING:
    from ...workbench import Workbench

API = "/mechanic/api"


def json_api(method: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    """Answer with the method's return value as JSON, and with ``{"message", "status"}`` for engine errors."""

    @functools.wraps(method)
    async def wrapper(self: APIBase, *args: str) -> None:
        try:
            result = method(self, *args)
            if isinstance(result, Awaitable):
                result = await result
        except MechanicError as exc:
            self.set_status(exc.http_status)
            self.finish_json({"message": exc.message, "status": exc.http_status})
            return
        if self._finished:
            return
        if result is None and self.get_status() == 204:
            self.finish()
        else:
            self.finish_json(result)

    return wrapper


class APIBase(web.RequestHandler):
    """Shared helpers: the workbench, JSON in and out."""

    def initialize(self, workbench: Workbench) -> None:
        self.workbench = workbench

    def finish_json(self, value: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(value, ensure_ascii=False, default=str))

    def body_json(self) -> Any:
        """The request body as JSON (an empty body is ``{}``).

        Raises:
            BadRequest: when the body is not JSON.
        """
        if not self.request.body.strip():
            return {}
        try:
            return json.loads(self.request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"the request body must be JSON: {exc}") from None

    def body_object(self) -> dict[str, Any]:
        """The request body as a JSON object.

        Raises:
            BadRequest: when it is not a JSON object.
        """
        body = self.body_json()
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        return body

    def int_argument(self, name: str, default: int | None) -> int | None:
        """A query argument that must be a positive integer."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise InvalidInput(f"{name} must be a positive whole number, got {raw!r}")
        return int(raw)

    def moment_argument(self, value: Any) -> dt.datetime | None:
        """An optional ISO-8601 moment from a request body."""
        if value in (None, ""):
            return None
        try:
            return parse_iso(str(value))
        except ValueError:
            raise InvalidInput(f"now must be an ISO-8601 time, got {value!r}") from None


def _webhook(handler: APIBase, webhook: Any) -> dict[str, Any]:
    return webhook.to_dict(handler.workbench.webhooks.url(webhook))


class WebhooksHandler(APIBase):
    """``GET`` lists webhooks; ``POST {name, topic, mode?, enabled?}`` creates one (201)."""

    @json_api
    def get(self) -> Any:
        return [_webhook(self, webhook) for webhook in self.workbench.webhooks.list()]

    @json_api
    def post(self) -> Any:
        body = self.body_object()
        webhook = self.workbench.webhooks.create(
            body.get("name"),
            body.get("topic"),
            body.get("mode", "auto"),
            enabled=bool(body.get("enabled", True)),
        )
        self.set_status(201)
        return _webhook(self, webhook)


class WebhookHandler(APIBase):
    """``GET``, ``PATCH {name?, topic?, mode?, enabled?}`` and ``DELETE`` one webhook."""

    @json_api
    def get(self, webhook_id: str) -> Any:
        return _webhook(self, self.workbench.webhooks.get(webhook_id))

    @json_api
    def patch(self, webhook_id: str) -> Any:
        body = self.body_object()
        unknown = set(body) - {"name", "topic", "mode", "enabled"}
        if unknown:
            raise InvalidInput(f"unknown webhook field(s): {', '.join(sorted(unknown))}")
        return _webhook(self, self.workbench.webhooks.update(webhook_id, **body))

    @json_api
    def delete(self, webhook_id: str) -> Any:
        self.workbench.webhooks.delete(webhook_id)
        self.set_status(204)


class SettingsHandler(APIBase):
    """``GET`` every setting; ``PATCH {key: value, …}`` sets several (null resets a default)."""

    @json_api
    def get(self) -> Any:
        return self.workbench.settings.show()

    @json_api
    def patch(self) -> Any:
        for key, value in self.body_object().items():
            self.workbench.settings.set(key, value)
        return self.workbench.settings.show()


class CorsHandler(APIBase):
    """``GET`` the CORS origins; ``POST {origin}`` adds one; ``DELETE ?origin=…`` removes one."""

    @json_api
    def get(self) -> Any:
        return self.workbench.receiver.cors_summary()

    @json_api
    def post(self) -> Any:
        origin = self.body_object().get("origin")
        if not isinstance(origin, str):
            raise InvalidInput('give the origin to allow as {"origin": "https://…"}')
        self.workbench.settings.cors_add(origin)
        return self.workbench.receiver.cors_summary()

    @json_api
    def delete(self) -> Any:
        self.workbench.settings.cors_remove(self.get_query_argument("origin", ""))
        return self.workbench.receiver.cors_summary()


class TasksHandler(APIBase):
    """``GET`` lists tasks; ``POST`` imports Mechanic task JSON (one task or a list; ``?replace=1`` saves over a
    task of the same name) and answers the stored tasks (201).
    """

    @json_api
    def get(self) -> Any:
        return [task.to_dict() for task in self.workbench.tasks.list()]

    @json_api
    def post(self) -> Any:
        replace = self.get_query_argument("replace", "0") in ("1", "true", "yes")
        results = self.workbench.tasks.import_json(self.body_json(), replace=replace)
        self.set_status(201)
        return [result.to_dict() for result in results]


class TaskHandler(APIBase):
    """``GET``, ``PATCH {field: value, …}`` and ``DELETE`` one task."""

    @json_api
    def get(self, task_id: str) -> Any:
        return self.workbench.tasks.get(task_id).to_dict()

    @json_api
    def patch(self, task_id: str) -> Any:
        body = self.body_object()
        enabled = body.pop("enabled", None)
        task = self.workbench.tasks.update(task_id, **body) if body else self.workbench.tasks.get(task_id)
        if enabled is True:
            task = self.workbench.tasks.enable(task_id)
        elif enabled is False:
            task = self.workbench.tasks.disable(task_id)
        return task.to_dict()

    @json_api
    def delete(self, task_id: str) -> Any:
        self.workbench.tasks.delete(task_id)
        self.set_status(204)


class TaskExportHandler(APIBase):
    """``GET`` one task as Mechanic task JSON."""

    @json_api
    def get(self, task_id: str) -> Any:
        return self.workbench.tasks.export(task_id)


class TaskPreviewHandler(APIBase):
    """``POST {topic?, event?, now?}`` previews a stored task; at ``/tasks/preview`` the body's ``task`` (Mechanic
    task JSON) is previewed without being stored.
    """

    @json_api
    def post(self, task_id: str | None = None) -> Any:
        body = self.body_object()
        task: Any = task_id
        if task_id is None:
            if "task" not in body:
                raise InvalidInput('give the task to preview as {"task": {…Mechanic task JSON…}}')
            task = task_from_json(body["task"])
        event = body.get("event")
        if event is not None and not isinstance(event, dict):
            raise InvalidInput('event must be an object {"topic", "data"}')
        return self.workbench.tasks.preview(
            task, topic=body.get("topic"), event=event, now=self.moment_argument(body.get("now"))
        )


class EventsHandler(APIBase):
    """``GET ?topic&search&limit`` lists events newest first; ``POST {topic, data, task_id?, task_ids?, run_at?}``
    creates a user event (201).
    """

    @json_api
    def get(self) -> Any:
        events = self.workbench.list_events(
            topic=self.get_query_argument("topic", None),
            search=self.get_query_argument("search", None),
            limit=self.int_argument("limit", 50),
        )
        return [event.to_dict() for event in events]

    @json_api
    def post(self) -> Any:
        body = self.body_object()
        unknown = set(body) - {"topic", "data", "task_id", "task_ids", "run_at"}
        if unknown:
            raise InvalidInput(f"unknown event field(s): {', '.join(sorted(unknown))}")
        event = self.workbench.runs.emit(
            body.get("topic"),
            body.get("data"),
            run_at=body.get("run_at"),
            task_id=body.get("task_id"),
            task_ids=body.get("task_ids"),
        )
        self.workbench.worker.wake()
        self.set_status(201)
        return event.to_dict()


class EventHandler(APIBase):
    """``GET`` one event (by id or request id) with its raw request, runs and results."""

    @json_api
    def get(self, event_id: str) -> Any:
        return self.workbench.describe_event(event_id)


class EventCancelHandler(APIBase):
    """``POST`` cancels an event whose event run has not started (409 otherwise)."""

    @json_api
    def post(self, event_id: str) -> Any:
        return self.workbench.runs.cancel_event(event_id).to_dict()


class RunsHandler(APIBase):
    """``GET ?status&kind&event_id&task_id&limit`` lists runs newest first."""

    @json_api
    def get(self) -> Any:
        runs = self.workbench.runs.list(
            status=self.get_query_argument("status", None),
            kind=self.get_query_argument("kind", None),
            event_id=self.get_query_argument("event_id", None),
            task_id=self.get_query_argument("task_id", None),
            limit=self.int_argument("limit", 100),
        )
        return [run.to_dict() for run in runs]


class RunHandler(APIBase):
    """``GET`` one run."""

    @json_api
    def get(self, run_id: str) -> Any:
        return self.workbench.runs.get(run_id).to_dict()


class RunRetryHandler(APIBase):
    """``POST`` retries a run where the spec allows it (409 otherwise)."""

    @json_api
    def post(self, run_id: str) -> Any:
        run = self.workbench.runs.retry(run_id)
        self.workbench.worker.wake()
        return run.to_dict()


class OpenAPIHandler(APIBase):
    """``GET`` the OpenAPI document of this API."""

    @json_api
    def get(self) -> Any:
        from .openapi import openapi_document

        return openapi_document(self.workbench.base_url())


_ID = "([^/]+)"


def api_handlers(workbench: Workbench) -> list[tuple[str, type[APIBase], dict[str, Any]]]:
    """The API's routes (relative to the server's base URL)."""
    args = {"workbench": workbench}
    routes: list[tuple[str, type[APIBase]]] = [
        ("/openapi.json", OpenAPIHandler),
        ("/webhooks", WebhooksHandler),
        (f"/webhooks/{_ID}", WebhookHandler),
        ("/settings", SettingsHandler),
        ("/settings/cors", CorsHandler),
        ("/tasks", TasksHandler),
        ("/tasks/preview", TaskPreviewHandler),
        (f"/tasks/{_ID}", TaskHandler),
        (f"/tasks/{_ID}/export", TaskExportHandler),
        (f"/tasks/{_ID}/preview", TaskPreviewHandler),
        ("/events", EventsHandler),
        (f"/events/{_ID}", EventHandler),
        (f"/events/{_ID}/cancel", EventCancelHandler),
        ("/runs", RunsHandler),
        (f"/runs/{_ID}", RunHandler),
        (f"/runs/{_ID}/retry", RunRetryHandler),
    ]
    return [(f"{API}{path}", handler, args) for path, handler in routes]
