"""The OpenAPI 3.1 document of the management API (served at ``/mechanic/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from ...version import __version__

_OBJECT = {"type": "object", "additionalProperties": True}
_ARRAY = {"type": "array", "items": _OBJECT}
_ERROR = {
    "description": "an error the engine names",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["message", "status"],
                "properties": {"message": {"type": "string"}, "status": {"type": "integer"}},
            }
        }
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    ok: dict[str, Any] | None,
    *,
    status: str = "200",
    body: dict[str, Any] | None = None,
    query: list[str] | None = None,
    errors: tuple[str, ...] = ("404", "422"),
) -> dict[str, Any]:
    responses: dict[str, Any] = {status: ok if ok is not None else {"description": "no content"}}
    responses.update({code: _ERROR for code in errors})
    responses["403"] = {"description": "not authenticated with Jupyter (token or login cookie)"}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if query:
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in query
        ]
    return operation


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]


WEBHOOK = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "topic": {"type": "string", "pattern": "^user/[a-z0-9_]+/[a-z0-9_]+$"},
        "mode": {"type": "string", "enum": ["auto", "full"]},
        "enabled": {"type": "boolean"},
        "url": {"type": "string"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
    },
}
WEBHOOK_INPUT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "topic": {"type": "string"},
        "mode": {"type": "string", "enum": ["auto", "full"]},
        "enabled": {"type": "boolean"},
    },
}
RUN_STATUSES = ["scheduled", "due", "started", "succeeded", "failed", "cancelled"]


def openapi_document(server_url: str) -> dict[str, Any]:
    """The document, with ``server_url`` as its server."""
    paths: dict[str, Any] = {
        "/webhooks": {
            "get": _operation(
                "List webhooks", _json({"type": "array", "items": WEBHOOK}, "webhooks"), errors=()
            ),
            "post": _operation(
                "Create a webhook",
                _json(WEBHOOK, "the new webhook"),
                status="201",
                body={**WEBHOOK_INPUT, "required": ["name", "topic"]},
                errors=("400", "422"),
            ),
        },
        "/webhooks/{webhook_id}": {
            "parameters": _path_id("webhook_id"),
            "get": _operation("Get a webhook", _json(WEBHOOK, "the webhook")),
            "patch": _operation(
                "Change a webhook",
                _json(WEBHOOK, "the webhook"),
                body=WEBHOOK_INPUT,
                errors=("400", "404", "422"),
            ),
            "delete": _operation("Delete a webhook (its events are kept)", None, status="204"),
        },
        "/settings": {
            "get": _operation("Every setting", _json(_OBJECT, "settings"), errors=()),
            "patch": _operation(
                "Set settings (null resets a default)",
                _json(_OBJECT, "settings"),
                body=_OBJECT,
                errors=("400", "422"),
            ),
        },
        "/settings/cors": {
            "get": _operation("CORS origins", _json(_OBJECT, "origins"), errors=()),
            "post": _operation(
                "Allow an origin",
                _json(_OBJECT, "origins"),
                body={"type": "object", "required": ["origin"], "properties": {"origin": {"type": "string"}}},
                errors=("400", "422"),
            ),
            "delete": _operation(
                "Stop allowing an origin", _json(_OBJECT, "origins"), query=["origin"], errors=("422",)
            ),
        },
        "/tasks": {
            "get": _operation("List tasks", _json(_ARRAY, "tasks"), errors=()),
            "post": _operation(
                "Import Mechanic task JSON (one task or a list)",
                _json(_ARRAY, "stored tasks"),
                status="201",
                body={"oneOf": [_OBJECT, _ARRAY]},
                query=["replace"],
                errors=("400", "422"),
            ),
        },
        "/tasks/preview": {
            "post": _operation(
                "Preview an unsaved task",
                _json(_OBJECT, "previews"),
                body={
                    "type": "object",
                    "required": ["task"],
                    "properties": {
                        "task": _OBJECT,
                        "topic": {"type": "string"},
                        "event": _OBJECT,
                        "now": {"type": "string"},
                    },
                },
                errors=("400", "422"),
            ),
        },
        "/tasks/{task_id}": {
            "parameters": _path_id("task_id"),
            "get": _operation("Get a task", _json(_OBJECT, "the task")),
            "patch": _operation(
                "Change a task", _json(_OBJECT, "the task"), body=_OBJECT, errors=("400", "404", "422")
            ),
            "delete": _operation("Delete a task", None, status="204"),
        },
        "/tasks/{task_id}/export": {
            "parameters": _path_id("task_id"),
            "get": _operation("Export a task as Mechanic task JSON", _json(_OBJECT, "task JSON")),
        },
        "/tasks/{task_id}/preview": {
            "parameters": _path_id("task_id"),
            "post": _operation(
                "Preview a stored task",
                _json(_OBJECT, "previews"),
                body={
                    "type": "object",
                    "properties": {"topic": {"type": "string"}, "event": _OBJECT, "now": {"type": "string"}},
                },
                errors=("400", "404", "422"),
            ),
        },
        "/events": {
            "get": _operation(
                "List events, newest first",
                _json(_ARRAY, "events"),
                query=["topic", "search", "limit"],
                errors=("422",),
            ),
            "post": _operation(
                "Create a user event",
                _json(_OBJECT, "the event"),
                status="201",
                body={
                    "type": "object",
                    "required": ["topic"],
                    "properties": {
                        "topic": {"type": "string"},
                        "data": {},
                        "task_id": {"type": "string"},
                        "task_ids": {"type": "array", "items": {"type": "string"}},
                        "run_at": {},
                    },
                },
                errors=("400", "422"),
            ),
        },
        "/events/{event_id}": {
            "parameters": _path_id("event_id"),
            "get": _operation("An event with its request, runs and results", _json(_OBJECT, "the event")),
        },
        "/events/{event_id}/cancel": {
            "parameters": _path_id("event_id"),
            "post": _operation(
                "Cancel a queued event", _json(_OBJECT, "its event run"), errors=("404", "409")
            ),
        },
        "/runs": {
            "get": _operation(
                "List runs, newest first",
                _json(_ARRAY, "runs"),
                query=["status", "kind", "event_id", "task_id", "limit"],
                errors=("422",),
            ),
        },
        "/runs/{run_id}": {
            "parameters": _path_id("run_id"),
            "get": _operation("Get a run", _json(_OBJECT, "the run")),
        },
        "/runs/{run_id}/retry": {
            "parameters": _path_id("run_id"),
            "post": _operation(
                "Retry a run where Mechanic allows it", _json(_OBJECT, "the run"), errors=("404", "409")
            ),
        },
        "/openapi.json": {"get": _operation("This document", _json(_OBJECT, "OpenAPI 3.1"), errors=())},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mechanic-kernel management API",
            "version": __version__,
            "description": "Manage webhooks, settings, tasks, events and runs of a workbench. Requires "
            "Jupyter's authentication: `Authorization: token <token>` or the login cookie. "
            f"Run statuses: {', '.join(RUN_STATUSES)}.",
        },
        "servers": [{"url": f"{server_url.rstrip('/')}/mechanic/api"}],
        "paths": paths,
    }
