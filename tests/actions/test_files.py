"""The files action: generated files stored in the home folder, with the result shape of spec §4.6."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from actiontools import run

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.files import ACTION
from mechanic_kernel.actions.generators import MAX_FILE_SIZE
from mechanic_kernel.actions.registry import action_type
from mechanic_kernel.store import Store


def test_files_is_registered() -> None:
    assert action_type("files") is ACTION


def test_99_plaintext_file_result_shape(make_context: Callable[..., ActionContext], store: Store) -> None:
    context = make_context()
    result = run(ACTION.perform({"a.txt": "hi"}, context))
    entry = result["a.txt"]
    assert set(result) == {"a.txt"}
    assert entry["name"] == "a.txt" and entry["size"] == 2 and entry["mime_type"] == "text/plain"
    assert entry["expires_at"] == "2026-03-08T12:00:00.000Z"  # 7 days after the context's now
    url = urlsplit(entry["url"])
    assert f"{url.scheme}://{url.netloc}" == context.base_url
    token = url.path.split("/")[3]
    assert url.path == f"/mechanic/files/{token}/a.txt"
    stored = store.files.get(token)
    assert stored is not None and stored.action_run_id == context.action_run_id
    assert (Path(context.home) / stored.path).read_bytes() == b"hi"
    assert stored.path == f"files/{context.action_run_id}/a.txt"


def test_100_base64_file(make_context: Callable[..., ActionContext], store: Store) -> None:
    context = make_context()
    result = run(ACTION.perform({"b.bin": {"base64": "aGk="}}, context))
    assert result["b.bin"]["size"] == 2
    assert (Path(context.home) / "files" / context.action_run_id / "b.bin").read_bytes() == b"hi"


def test_101_zip_file(make_context: Callable[..., ActionContext]) -> None:
    context = make_context()
    result = run(
        ACTION.perform({"z.zip": {"zip": {"files": {"a.txt": "a", "b.txt": "b"}, "password": "pw"}}}, context)
    )
    assert result["z.zip"]["mime_type"] == "application/zip"
    data = (Path(context.home) / "files" / context.action_run_id / "z.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["a.txt", "b.txt"]
        assert all(info.flag_bits & 0x1 for info in archive.infolist())


def test_102_file_over_20_mb_fails_and_nothing_is_published(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context()
    with pytest.raises(ActionError, match="20 MB"):
        run(ACTION.perform({"ok.txt": "fine", "big.txt": "x" * (MAX_FILE_SIZE + 1)}, context))
    assert store.files.of_action_run(context.action_run_id) == []


def test_expiry_follows_the_setting(make_context: Callable[..., ActionContext]) -> None:
    result = run(ACTION.perform({"a.txt": "hi"}, make_context(file_expiry_days=1)))
    assert result["a.txt"]["expires_at"] == "2026-03-02T12:00:00.000Z"


def test_several_files_and_url_quoting(make_context: Callable[..., ActionContext]) -> None:
    result = run(ACTION.perform({"report 1.csv": "a,b", "ümlaut.txt": "ü"}, make_context()))
    assert result["report 1.csv"]["url"].endswith("/report%201.csv")
    assert result["report 1.csv"]["mime_type"] == "text/csv"
    assert result["ümlaut.txt"]["size"] == 2
    assert result["ümlaut.txt"]["url"].endswith("/%C3%BCmlaut.txt")


def test_a_retried_run_overwrites_its_files(make_context: Callable[..., ActionContext], store: Store) -> None:
    context = make_context()
    run(ACTION.perform({"a.txt": "one"}, context))
    run(ACTION.perform({"a.txt": "two"}, context))
    assert (Path(context.home) / "files" / context.action_run_id / "a.txt").read_text() == "two"
    assert [f.size for f in store.files.of_action_run(context.action_run_id)] == [3, 3]


@pytest.mark.parametrize(
    "options",
    [{}, [], "a.txt", None, {"../x": "y"}, {"a/b": "y"}, {"a": 5}],
    ids=["empty", "array", "string", "null", "dot-dot", "slash", "number"],
)
def test_malformed_options_fail(options: Any, make_context: Callable[..., ActionContext]) -> None:
    with pytest.raises(ActionError):
        ACTION.validate(options)
    with pytest.raises(ActionError):
        run(ACTION.perform(options, make_context()))


def test_without_a_files_service_nothing_is_written(make_context: Callable[..., ActionContext], tmp_path) -> None:
    context = make_context()
    context.services.pop("files")
    with pytest.raises(ActionError, match="file records"):
        run(ACTION.perform({"a.txt": "hi"}, context))
    assert not (tmp_path / "files").exists()
