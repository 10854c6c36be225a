"""Import/export of Mechanic task JSON and the Mechanic CLI folder layout (spec §8, statements 142-143)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from tasktools import CORPUS
from tasktools import library_files

from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.tasks import Task
from mechanic_kernel.tasks.importexport import export_task
from mechanic_kernel.tasks.importexport import load_tasks
from mechanic_kernel.tasks.importexport import read_folder
from mechanic_kernel.tasks.importexport import task_from_json
from mechanic_kernel.tasks.importexport import write_folder
from mechanic_kernel.models.tasks import EXPORT_KEYS

LIBRARY_SCHEMA = json.loads((CORPUS / "task_schema.json").read_text(encoding="utf-8"))
# Our Mechanic export also carries the two runtime keys the library schema does not list.
MECHANIC_SCHEMA = copy.deepcopy(LIBRARY_SCHEMA)
MECHANIC_SCHEMA["properties"]["shopify_api_version"] = {"type": "string"}
MECHANIC_SCHEMA["properties"]["liquid_profiling"] = {"type": "boolean"}
FILES = library_files()

STATEMENT_142_KEYS = {
    "name",
    "script",
    "subscriptions",
    "subscriptions_template",
    "options",
    "docs",
    "online_store_javascript",
    "order_status_javascript",
    "shopify_api_version",
    "liquid_profiling",
    "perform_action_runs_in_sequence",
    "halt_action_run_sequence_on_error",
    "preview_event_definitions",
}


def test_corpus_is_there() -> None:
    assert len(FILES) == 316


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_library_file_round_trips(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    task = task_from_json(original)
    library = export_task(task, library=True)
    for key, value in original.items():
        assert library[key] == value, key
    jsonschema.validate(library, LIBRARY_SCHEMA)
    full = export_task(task)
    assert STATEMENT_142_KEYS <= set(full)
    jsonschema.validate(full, MECHANIC_SCHEMA)
    assert task_from_json(full).to_export() == full


def test_export_keys_are_the_mechanic_keys_in_library_order() -> None:
    exported = Task(name="t").to_export()
    assert list(exported) == sorted(exported) == list(EXPORT_KEYS)


def test_missing_keys_get_defaults() -> None:
    task = task_from_json({"name": "old export", "script": "{% log 1 %}", "subscriptions": ["user/a/b"]})
    assert task.subscriptions_template is None
    assert task.preview_event_definitions == [] and task.tags == [] and task.options == {}
    library = export_task(task, library=True)
    assert library["subscriptions_template"] == "user/a/b" and library["docs"] == ""
    jsonschema.validate(library, LIBRARY_SCHEMA)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "must be a JSON object"),
        ({"script": ""}, 'non-empty "name"'),
        ({"name": "x", "script": 3}, '"script" must be str'),
        ({"name": "x", "subscriptions": "user/a/b"}, '"subscriptions" must be list'),
        ({"name": "x", "subscriptions": [1]}, "list of strings"),
        ({"name": "x", "options": []}, '"options" must be dict'),
        ({"name": "x", "preview_event_definitions": [{"description": "d"}]}, "event_attributes"),
    ],
)
def test_invalid_task_json(data: object, error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        task_from_json(data)


def test_bulk_shapes() -> None:
    one = {"name": "a"}
    assert load_tasks(one) == [one]
    assert load_tasks([one, {"name": "b"}]) == [one, {"name": "b"}]
    assert load_tasks({"tasks": [one]}) == [one]
    with pytest.raises(InvalidInput):
        load_tasks("nope")


def test_folder_layout_round_trip(tmp_path: Path) -> None:
    original = json.loads((CORPUS / "tasks" / "auto-archive-orders-after-fulfillment.json").read_text())
    original["online_store_javascript"] = "console.log({{ options | json }});"
    task = task_from_json(original)
    folder = write_folder(task, tmp_path / "auto-archive")
    names = sorted(path.name for path in folder.iterdir())
    assert names == [
        "docs.md",
        "online_store.js.liquid",
        "script.liquid",
        "subscriptions.liquid",
        "task.json",
    ]
    assert (folder / "script.liquid").read_text() == original["script"]
    assert (folder / "subscriptions.liquid").read_text() == original["subscriptions_template"]
    assert "script" not in json.loads((folder / "task.json").read_text())
    assert read_folder(folder).to_export() == task.to_export()


def test_folder_files_override_task_json(tmp_path: Path) -> None:
    folder = write_folder(Task(name="t", script="old"), tmp_path / "t")
    (folder / "script.liquid").write_text("{% log 'new' %}")
    assert read_folder(folder).script == "{% log 'new' %}"


def test_folder_without_task_json(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no task.json"):
        read_folder(tmp_path)
