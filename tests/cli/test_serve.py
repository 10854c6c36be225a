"""``mechanic-kernel serve`` as a real process: URL on stdout, curl-style requests, clean stop, durability."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench

STARTUP_TIMEOUT = 30


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url


def start_serve(home: Path, *extra: str) -> Served:
    process = subprocess.Popen(
        [sys.executable, "-m", "mechanic_kernel", "serve", "--home", str(home), "--port", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("mechanic-kernel serving "):
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {process.stderr.read()}")
    return Served(process, line.split()[-1])


@pytest.fixture
def served(home: Path) -> Iterator[Served]:
    running = start_serve(home)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)


def create_webhook(home: Path) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "mechanic_kernel", "webhooks", "create", "--name", "Example", "--topic",
         "user/webhook/test", "--home", str(home), "--json"], capture_output=True, text=True, check=True)
    return json.loads(output.stdout)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_answers_and_stops_cleanly(served: Served, home: Path, signum: int) -> None:
    webhook = create_webhook(home)
    # The CLI shows the running server's URL for new webhooks.
    assert webhook["url"] == f"{served.url}/mechanic/webhooks/{webhook['id']}"
    response = httpx.post(webhook["url"], json={"a": 1}, trust_env=False)
    assert response.status_code == 204
    served.process.send_signal(signum)
    assert served.process.wait(STARTUP_TIMEOUT) == 0
    assert "stopped" in served.process.stderr.read()
    with Workbench(home) as workbench:
        assert workbench.event(response.headers["x-request-id"]).data == {"a": 1}
        # Once stopped, URLs fall back to the default address.
        assert "127.0.0.1:8765" in workbench.webhooks.url(webhook["id"])


def test_an_acknowledged_event_survives_sigkill(served: Served, home: Path) -> None:
    webhook = create_webhook(home)
    request_ids = [httpx.post(webhook["url"], json={"i": i}, trust_env=False).headers["x-request-id"]
                   for i in range(25)]
    served.process.kill()
    served.process.wait(10)
    with Workbench(home) as workbench:
        assert {workbench.event(rid).webhook_request_id for rid in request_ids} == set(request_ids)


def test_public_url_controls_the_shown_url(home: Path) -> None:
    running = start_serve(home, "--public-url", "https://abc.tunnel.example/")
    try:
        assert running.process.stdout.readline().strip() == (
            "webhook URLs start with https://abc.tunnel.example/mechanic/webhooks/")
        webhook = create_webhook(home)
        assert webhook["url"].startswith("https://abc.tunnel.example/mechanic/webhooks/")
        # The tunnel's origin may call the webhook from a browser page served through it.
        response = httpx.post(f"{running.url}/mechanic/webhooks/{webhook['id']}", json={},
                              headers={"Origin": "https://abc.tunnel.example"}, trust_env=False)
        assert response.status_code == 204
    finally:
        running.process.terminate()
        running.process.wait(10)


def test_port_in_use_is_a_clear_error(served: Served, home: Path) -> None:
    port = served.url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "mechanic_kernel", "serve", "--home", str(home), "--port", port],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def _established(pid: int, port: int) -> int:
    """How many established TCP connections on ``port`` the process ``pid`` holds (read from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_processes_share_the_port_and_the_connections(home: Path) -> None:
    webhook = create_webhook(home)
    running = start_serve(home, "--processes", "2")
    try:
        assert running.url.startswith("http://127.0.0.1:")
        port = int(running.url.rsplit(":", 1)[1])
        clients = [httpx.Client(trust_env=False, timeout=30) for _ in range(32)]
        try:
            for index, client in enumerate(clients):  # 32 keep-alive connections, like wrk's
                assert client.post(f"{running.url}/mechanic/webhooks/{webhook['id']}", json={"i": index}).status_code == 204
            children = _children(running.process.pid)
            assert len(children) == 2
            per_process = [_established(child, port) for child in children]
        finally:
            for client in clients:
                client.close()
        assert sum(per_process) == 32
        assert min(per_process) >= 4, per_process  # the kernel spreads them; none sits idle
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(30) == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()
    with Workbench(home) as bench:
        assert sorted(event.data["i"] for event in bench.list_events(limit=None)) == list(range(32))
