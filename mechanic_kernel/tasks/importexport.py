"""Mechanic task JSON and the Mechanic CLI folder layout, in and out (spec §8.1, §8.2).

Two JSON shapes go out: the *Mechanic* export (every task key, :data:`~.models.EXPORT_KEYS`) and the
*library* export, restricted to the keys the task library's ``task_schema.json`` allows (it has no
``shopify_api_version`` or ``liquid_profiling`` and wants strings for ``docs`` and
``subscriptions_template``). Imports accept either, with any key missing, and a bulk file may be one task,
a list of tasks, or ``{"tasks": [...]}`` (the spec leaves the bulk shape open; docs/decisions.md, "Tasks").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..models.tasks import DEFAULT_API_VERSION
from ..models.tasks import EXPORT_KEYS
from ..models.tasks import Task

LIBRARY_KEYS = tuple(key for key in EXPORT_KEYS if key not in ("shopify_api_version", "liquid_profiling"))

# The Mechanic CLI's unbundled folder: task.json plus one file per long text (spec §8.2). The CLI does not
# document the JavaScript file names; these are ours (docs/decisions.md, "Tasks").
FOLDER_FILES = {
    "script": "script.liquid",
    "subscriptions_template": "subscriptions.liquid",
    "docs": "docs.md",
    "online_store_javascript": "online_store.js.liquid",
    "order_status_javascript": "order_status.js.liquid",
}

_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "script": (str,),
    "subscriptions": (list,),
    "subscriptions_template": (str, type(None)),
    "options": (dict, type(None)),
    "docs": (str, type(None)),
    "online_store_javascript": (str, type(None)),
    "order_status_javascript": (str, type(None)),
    "shopify_api_version": (str, type(None)),
    "liquid_profiling": (bool, type(None)),
    "perform_action_runs_in_sequence": (bool, type(None)),
    "halt_action_run_sequence_on_error": (bool, type(None)),
    "preview_event_definitions": (list, type(None)),
    "tags": (list, type(None)),
    "enabled": (bool,),
}


def task_from_json(data: Any) -> Task:
    """A new (unsaved) task from one Mechanic task JSON object; unknown keys are ignored.

    Raises:
        InvalidInput: not an object, no name, or a key of the wrong type (the message names the key).
    """
    if not isinstance(data, dict):
        raise InvalidInput(f"a task must be a JSON object, got {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput('a task needs a non-empty "name"')
    for key, types in _TYPES.items():
        if key in data and not isinstance(data[key], types):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise InvalidInput(f'task {name!r}: "{key}" must be {expected}, got {type(data[key]).__name__}')
    subscriptions = data.get("subscriptions") or []
    if not all(isinstance(line, str) for line in subscriptions):
        raise InvalidInput(f'task {name!r}: "subscriptions" must be a list of strings')
    definitions = data.get("preview_event_definitions") or []
    for definition in definitions:
        if not isinstance(definition, dict) or not isinstance(definition.get("event_attributes"), dict):
            raise InvalidInput(
                f'task {name!r}: each preview event definition needs "event_attributes" '
                'with "topic" and "data"'
            )
    fields: dict[str, Any] = {
        "name": name,
        "script": data.get("script") or "",
        "subscriptions": list(subscriptions),
        "subscriptions_template": data.get("subscriptions_template"),
        "options": dict(data.get("options") or {}),
        "docs": data.get("docs"),
        "online_store_javascript": data.get("online_store_javascript"),
        "order_status_javascript": data.get("order_status_javascript"),
        "shopify_api_version": data.get("shopify_api_version") or DEFAULT_API_VERSION,
        "liquid_profiling": bool(data.get("liquid_profiling")),
        "perform_action_runs_in_sequence": bool(data.get("perform_action_runs_in_sequence")),
        "halt_action_run_sequence_on_error": bool(data.get("halt_action_run_sequence_on_error")),
        "preview_event_definitions": list(definitions),
        "tags": list(data.get("tags") or []),
    }
    if "enabled" in data:
        fields["enabled"] = data["enabled"]
    return Task(**fields)


def load_tasks(value: Any) -> list[dict[str, Any]]:
    """The task objects of an import: one task, a list of tasks, or ``{"tasks": [...]}``.

    Raises:
        InvalidInput: the value is none of those.
    """
    if isinstance(value, dict) and isinstance(value.get("tasks"), list) and "name" not in value:
        value = value["tasks"]
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return list(value)
    raise InvalidInput('expected a task JSON object, a list of them, or {"tasks": [...]}')


def read_json_file(path: str | Path) -> Any:
    """The JSON in a file.

    Raises:
        InvalidInput: the file is missing or not JSON.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None


def export_task(task: Task, *, library: bool = False) -> dict[str, Any]:
    """Mechanic task JSON for ``task``; with ``library=True`` only what ``task_schema.json`` allows."""
    exported = task.to_export()
    if not library:
        return exported
    library_form = {key: exported[key] for key in LIBRARY_KEYS}
    if library_form["subscriptions_template"] is None:
        library_form["subscriptions_template"] = "\n".join(task.subscriptions)
    if library_form["docs"] is None:
        library_form["docs"] = ""
    return library_form


def write_folder(task: Task, folder: str | Path) -> Path:
    """Write the Mechanic CLI layout: ``task.json`` and the long texts in their own files.

    ``task.json`` holds every other key; a text that is None gets no file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exported = export_task(task)
    rest = {key: value for key, value in exported.items() if key not in FOLDER_FILES}
    for key, filename in FOLDER_FILES.items():
        path = folder / filename
        if exported[key] is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(exported[key], encoding="utf-8")
    (folder / "task.json").write_text(json.dumps(rest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def read_folder(folder: str | Path) -> Task:
    """Read a Mechanic CLI folder back into an (unsaved) task; files override keys of ``task.json``.

    Raises:
        InvalidInput: ``task.json`` is missing or invalid.
    """
    folder = Path(folder)
    if not (folder / "task.json").is_file():
        raise InvalidInput(f"{folder} has no task.json")
    data = read_json_file(folder / "task.json")
    if not isinstance(data, dict):
        raise InvalidInput(f"{folder / 'task.json'} must hold a JSON object")
    for key, filename in FOLDER_FILES.items():
        path = folder / filename
        if path.is_file():
            data[key] = path.read_text(encoding="utf-8")
    return task_from_json(data)
