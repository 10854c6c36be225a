"""``/mechanic/files/<token>/<name>``: files of the files action, served over a real socket until expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient
from tornado.httpclient import HTTPResponse

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.files import ACTION
from mechanic_kernel.clock import FrozenClock
from mechanic_kernel.server.app import start_server
from mechanic_kernel.workbench import Workbench

Scenario = Callable[[Workbench, FrozenClock, str], Awaitable[None]]


def _serve(tmp_path: Path, scenario: Scenario) -> None:
    clock = FrozenClock("2026-03-01T12:00:00Z")
    with Workbench(tmp_path, clock=clock) as workbench:

        async def main() -> None:
            server, url = start_server(workbench, "127.0.0.1", 0)
            try:
                await scenario(workbench, clock, url)
            finally:
                server.stop()

        asyncio.run(main())


async def _files(
    workbench: Workbench, clock: FrozenClock, url: str, options: dict[str, Any]
) -> dict[str, Any]:
    context = ActionContext(
        action_run_id="run-1",
        task_id=None,
        event_id=None,
        now=clock.now(),
        home=workbench.home,
        settings=workbench.settings.show(),
        base_url=url,
        emit_event=lambda *args: "event-id",
        services={"files": workbench.store.files},
    )
    return await ACTION.perform(options, context)


async def _get(url: str, method: str = "GET") -> HTTPResponse:
    return await AsyncHTTPClient().fetch(url, method=method, raise_error=False)


def test_99_the_url_serves_the_file(tmp_path: Path) -> None:
    async def scenario(workbench: Workbench, clock: FrozenClock, url: str) -> None:
        result = await _files(workbench, clock, url, {"a.txt": "hi"})
        response = await _get(result["a.txt"]["url"])
        assert response.code == 200
        assert response.body == b"hi"
        assert response.headers["Content-Type"] == "text/plain"
        assert response.headers["Content-Security-Policy"] == "sandbox"
        head = await _get(result["a.txt"]["url"], "HEAD")
        assert head.code == 200 and head.headers["Content-Length"] == "2"

    _serve(tmp_path, scenario)


def test_unknown_token_or_name_is_404(tmp_path: Path) -> None:
    async def scenario(workbench: Workbench, clock: FrozenClock, url: str) -> None:
        result = await _files(workbench, clock, url, {"a.txt": "hi"})
        file_url = result["a.txt"]["url"]
        assert (await _get(f"{url}/mechanic/files/nope/a.txt")).code == 404
        assert (await _get(file_url.replace("a.txt", "b.txt"))).code == 404
        assert (await _get(file_url.rsplit("/", 1)[0] + "/..%2Fmechanic.sqlite3")).code == 404

    _serve(tmp_path, scenario)


def test_expired_url_is_410(tmp_path: Path) -> None:
    async def scenario(workbench: Workbench, clock: FrozenClock, url: str) -> None:
        result = await _files(workbench, clock, url, {"a.txt": "hi"})
        clock.advance(days=7, seconds=-1)
        assert (await _get(result["a.txt"]["url"])).code == 200
        clock.advance(seconds=1)
        assert (await _get(result["a.txt"]["url"])).code == 410

    _serve(tmp_path, scenario)


def test_names_with_spaces_and_non_ascii_are_served(tmp_path: Path) -> None:
    async def scenario(workbench: Workbench, clock: FrozenClock, url: str) -> None:
        result = await _files(workbench, clock, url, {"my report.csv": "a,b", "ü%.txt": "ü"})
        csv = await _get(result["my report.csv"]["url"])
        assert csv.code == 200 and csv.body == b"a,b" and csv.headers["Content-Type"] == "text/csv"
        text = await _get(result["ü%.txt"]["url"])
        assert text.code == 200 and text.body == "ü".encode()

    _serve(tmp_path, scenario)


def test_file_removed_from_disk_is_404(tmp_path: Path) -> None:
    async def scenario(workbench: Workbench, clock: FrozenClock, url: str) -> None:
        result = await _files(workbench, clock, url, {"a.txt": "hi"})
        (tmp_path / "files" / "run-1" / "a.txt").unlink()
        assert (await _get(result["a.txt"]["url"])).code == 404

    _serve(tmp_path, scenario)
