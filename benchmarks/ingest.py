"""Durable webhook ingest against a bare Tornado handler that only answers 204, measured in the same run.

Both servers run as separate processes on 127.0.0.1 and are loaded by ``wrk`` (Debian package ``wrk``) with the
same ~300-byte JSON POST at 32 connections, alternating A/B/A/B because this machine's figures swing between
rounds. The mechanic-kernel server is the real ``mechanic-kernel serve`` on a fresh SQLite home; after the run we
check that every request it acknowledged during the measured rounds is a stored event. Durable ingest waits for
an fsync per batch, so the disk's fsync latency (probed before and after, in the same folder) bounds the result;
it is printed with the figures.

    .venv/bin/python benchmarks/ingest.py [--seconds 10] [--rounds 2] [--connections 32] [--baseline TREE]

``--baseline TREE`` also serves another source tree (e.g. ``git archive HEAD~1 | tar -x -C /tmp/base``) on a
home of its own, in the same alternating rounds, for an A/B of a change against the code before it.

Targets (issue 2): throughput >= 0.8 x bare, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _net import free_port  # benchmarks run as scripts, so this folder is on sys.path
from _net import wait_for_port

PAYLOAD = json.dumps({
    "id": 1234567890, "email": "ann@example.com", "name": "Ann Example", "note": "x" * 120,
    "items": [{"sku": "SKU-1", "quantity": 2, "price": "19.99"}, {"sku": "SKU-2", "quantity": 1, "price": "5.00"}],
})

BARE_SERVER = textwrap.dedent("""
    import asyncio, sys, uuid
    from tornado import web
    class Bare(web.RequestHandler):
        def post(self, _):
            self.set_header("x-request-id", str(uuid.uuid4()))
            self.set_status(204)
    async def main():
        web.Application([(r"/mechanic/webhooks/(.*)", Bare)]).listen(int(sys.argv[1]), "127.0.0.1")
        print("ready", flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
""")


def fsync_ms(folder: Path, count: int = 40) -> tuple[float, float]:
    """The p50 and p90 of fsync after a 4 KiB append in ``folder``, in milliseconds."""
    path = folder / "fsync-probe"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for _ in range(count):
            os.write(fd, b"x" * 4096)
            start = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    times.sort()
    return times[len(times) // 2], times[len(times) * 9 // 10]


def stored_events(home: Path) -> int:
    """How many events the store holds (a reader beside the running server)."""
    conn = sqlite3.connect(home / "mechanic.sqlite3", timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()




def wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": latency("50"), "p99": latency("99"),
        "bad": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--baseline", type=Path, help="another source tree to serve in the same rounds")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("this benchmark needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="mechanic-bench-"))
    script = workdir / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(PAYLOAD)}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    python = sys.executable
    trees = {"mechanic": None}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), "mechanic": None}

    def environ(tree: Path | None) -> dict[str, str]:
        env = dict(os.environ)
        if tree is not None:
            # Ahead of the virtualenv's editable install; the servers run in workdir, so the current
            # directory (first on sys.path) is neither tree.
            env["PYTHONPATH"] = str(tree)
        return env

    homes, webhook_ids = {}, {}
    for name, tree in trees.items():
        homes[name] = workdir / f"home-{name}"
        created = subprocess.run([python, "-m", "mechanic_kernel", "webhooks", "create", "--name", "Bench",
                                  "--topic", "user/bench/ingest", "--home", str(homes[name]), "--json"],
                                 capture_output=True, text=True, check=True, env=environ(tree), cwd=workdir)
        webhook_ids[name] = json.loads(created.stdout)["id"]

    fsync_before = fsync_ms(workdir)
    ports = {name: free_port() for name in ("bare", *trees)}
    processes = [subprocess.Popen([python, "-c", BARE_SERVER, str(ports["bare"])], stdout=subprocess.DEVNULL)]
    for name, tree in trees.items():
        processes.append(subprocess.Popen(
            [python, "-m", "mechanic_kernel", "serve", "--home", str(homes[name]), "--port", str(ports[name]),
             "--no-worker"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environ(tree), cwd=workdir))
    try:
        for port in ports.values():
            wait_for_port(port)
        targets = {name: f"http://127.0.0.1:{port}/mechanic/webhooks/{webhook_ids.get(name, 'bare')}"
                   for name, port in ports.items()}
        for url in targets.values():  # warm-up
            wrk(url, 2, args.connections, script)
        stored_before = {name: stored_events(home) for name, home in homes.items()}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for round_number in range(1, args.rounds + 1):
            # Alternate the order too, so neither server always runs right after the other.
            order = list(targets.items()) if round_number % 2 else list(reversed(targets.items()))
            for name, url in order:
                result = wrk(url, args.seconds, args.connections, script)
                results[name].append(result)
                print(f"round {round_number} {name:9s} {result['rps']:8.0f} req/s  p50 {result['p50']:6.2f} ms  "
                      f"p99 {result['p99']:6.2f} ms  non-2xx {result['bad']}", flush=True)
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)

    def mean(name: str, key: str) -> float:
        return sum(r[key] for r in results[name]) / len(results[name])

    fsync_after = fsync_ms(workdir)
    print()
    labels = {"bare": "bare tornado handler", "baseline": "baseline tree", "mechanic": "mechanic-kernel"}
    for name in targets:
        rps = [r["rps"] for r in results[name]]
        print(f"{labels[name]:21s}: {mean(name, 'rps'):8.0f} req/s  p50 {mean(name, 'p50'):.2f} ms  "
              f"p99 {mean(name, 'p99'):.2f} ms  (rounds {min(rps):.0f}-{max(rps):.0f})")
    for name in trees:
        ratio = mean(name, "rps") / mean("bare", "rps")
        print(f"ratio {labels[name]:15s}: {ratio:.2f} x bare (target >= 0.80), "
              f"p99 {mean(name, 'p99'):.2f} ms (target < 50 ms)")
    print(f"fsync on this disk   : p50 {fsync_before[0]:.2f} / p90 {fsync_before[1]:.2f} ms before, "
          f"p50 {fsync_after[0]:.2f} / p90 {fsync_after[1]:.2f} ms after")
    lost = 0
    for name, home in homes.items():
        acknowledged = sum(r["requests"] - r["bad"] for r in results[name])
        stored = stored_events(home) - stored_before[name]
        lost += max(0, acknowledged - stored)
        print(f"events stored ({name}): {stored} in the measured rounds, {acknowledged} acknowledged "
              f"({'none lost' if stored >= acknowledged else f'{acknowledged - stored} LOST'}; requests "
              "still in flight when a round ends are stored but not counted)")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
