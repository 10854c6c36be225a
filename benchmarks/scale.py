"""Scale: ingest and pipeline throughput with several processes, on SQLite and on PostgreSQL, in one run.

Everything below is measured in the same run on the same machine, in alternating rounds (A/B/A/B, the order
reversed every other round), because this machine's figures swing between rounds; ratios are taken against
the baseline measured in the same run.

1. **Ingest.** ``wrk -t2 -c32`` posts the ~300-byte JSON body of ``benchmarks/ingest.py`` for ``--seconds``
   per round to the bare Tornado 204 handler (the reference, 1.0) and to ``mechanic-kernel serve --no-worker``
   with ``--processes 1`` and ``--processes 2``, on SQLite and on PostgreSQL (one fresh home or database per
   configuration). Requests/s and wrk's p50/p99 latency, as ratios to bare, and the 2-process ÷ 1-process
   ratio per backend. For 2 processes, how wrk's connections spread over them (``ss``, one second in): the
   kernel hands each new connection to whichever process accepts first.
2. **Acknowledged but missing.** wrk's Lua script records the ``x-request-id`` of every 204 it received; after
   each round every one of them must be the ``webhook_request_id`` of an event stored during that round (an
   exact check by id, not a count). Any missing event makes the script exit 1.
3. **Pipeline.** ``serve --no-worker`` (one process) receives ``--events`` POSTs from ``--clients`` wrk
   connections while 1 or 2 ``mechanic-kernel worker run`` processes perform them (one echo task:
   ``{% action "echo", event.data %}``); events/s from the first POST to the ``stopped_at`` of the last echo
   action run, which must have succeeded for every event. Ratio 2 workers ÷ 1 worker, per backend. New
   workers are left to go idle first (their first claim and start-up retention purge are not per-event work).
4. **CPU seconds per event** of each kind of process, read from ``/proc/<pid>/stat`` (utime + stime, all
   threads) before and after each round: the ingest server (the ``--processes`` parent and its forked
   children), the workers, the PostgreSQL backends connected to the configuration's database (found in
   ``pg_stat_activity``; the benchmark's own probe connection excluded), PostgreSQL's shared processes
   (postmaster, WAL writer, checkpointer, background writer, autovacuum: they also serve every other database
   of the cluster) and wrk itself (``wait4`` rusage). The machine's busy cores over the round (``/proc/stat``)
   and what no measured process accounts for ("other": other tenants of the machine) are printed beside them,
   with PostgreSQL's write transactions (transaction ids consumed, whole cluster) and WAL fsyncs per event.

    .venv/bin/python benchmarks/scale.py [--seconds 8] [--rounds 2] [--connections 32] [--events 3000]
        [--clients 16] [--worker-concurrency N] [--skip-postgres] [--skip-sqlite] [--skip-ingest]
        [--skip-pipeline] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

``--postgres`` is an administrative URL: the script creates its databases (``mk_scale_<pid>_…``) on that
server and drops them when it ends, also on Ctrl-C or failure; every process it started is stopped by its pid.
Needs ``wrk`` (Debian package ``wrk``) and, for PostgreSQL, a role that may create databases.

Targets (scale-out issue): PostgreSQL ``serve --processes 2`` ingests >= 1.4 x ``--processes 1``;
0 acknowledged events missing from the store in every configuration. For reference, issue 2's targets for
one process are >= 0.8 x bare and p99 < 50 ms (``benchmarks/ingest.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from _net import free_port  # benchmarks run as scripts, so this folder is on sys.path
from _net import wait_for_port
from ingest import BARE_SERVER
from ingest import PAYLOAD
from ingest import fsync_ms

PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
ECHO_SCRIPT = '{% action "echo", event.data %}'
INGEST_TOPIC = "user/bench/ingest"
PIPELINE_TOPIC = "user/bench/pipeline"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

# wrk's script: the POST, and every 204's request id kept per thread; done() (main Lua state, after the
# threads stopped) writes them to @OUT@, with a count per other status. A @QUOTA@ above 0 stops each thread
# after that many 204s (the pipeline drives a fixed number of events).
WRK_LUA = """
wrk.method = "POST"
wrk.body = @BODY@
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  ids, statuses, acked, quota = {}, {}, 0, @QUOTA@
end
function response(status, headers, body)
  if status == 204 then
    acked = acked + 1
    ids[acked] = headers["X-Request-Id"] or headers["x-request-id"] or "?"
    if quota > 0 and acked >= quota then
      wrk.thread:stop()
    end
  else
    statuses[status] = (statuses[status] or 0) + 1
  end
end
function done(summary, latency, requests)
  local out = assert(io.open(@OUT@, "w"))
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("ids")) do
      out:write(id, "\\n")
    end
    for status, count in pairs(thread:get("statuses")) do
      out:write("status ", status, " ", count, "\\n")
    end
  end
  out:close()
end
"""


# -- /proc -----------------------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    """Fields 3… of ``/proc/<pid>/stat`` (after the command name), or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (utime + stime) of a process, all its threads, or None once it is gone."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children …), from the parent pids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def machine_jiffies() -> tuple[int, int]:
    """(busy, steal) jiffies summed over all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return user + nice + system + irq + softirq, steal


Groups = dict[str, list[int]]
Sample = dict[str, dict[int, float]]


def sample(groups: Groups) -> Sample:
    """CPU seconds of every process of every group, now."""
    return {name: {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}
            for name, pids in groups.items()}


def spent(before: Sample, after: Sample) -> dict[str, float]:
    """CPU seconds per group between two samples (a process that appeared in between counts from 0)."""
    return {name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()}


# -- processes and databases we start ----------------------------------------------------------------

class Processes:
    """Every process this benchmark started, so that each is stopped by its pid even on Ctrl-C or failure."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[subprocess.Popen[bytes]] = []
        self.env = {k: v for k, v in os.environ.items() if k not in ("MECHANIC_STORE", "MECHANIC_HOME")}

    def start(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``args`` with its output in ``log``."""
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                    cwd=self.workdir)
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
        """Stop one process: SIGTERM, SIGKILL after ``timeout``, then any forked child of it still alive.

        Servers and workers finish their in-flight writes on SIGTERM; ``serve --processes`` children die with
        their parent anyway.
        """
        children = descendants(proc.pid)
        if proc.returncode is None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for child in children:
            try:
                if b"mechanic_kernel" in Path(f"/proc/{child}/cmdline").read_bytes():
                    os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        if proc in self.started:
            self.started.remove(proc)

    def stop_all(self) -> None:
        """Stop every process still running, the last started first."""
        for proc in reversed(list(self.started)):
            try:
                self.stop(proc)
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                print(f"could not stop process {proc.pid}: {exc}", file=sys.stderr)

    def cli(self, *args: str) -> Any:
        """``mechanic-kernel ARGS --json``, its JSON output."""
        done = subprocess.run([PYTHON, "-m", "mechanic_kernel", *args, "--json"], capture_output=True,
                              text=True, env=self.env, cwd=self.workdir)
        if done.returncode != 0:
            raise RuntimeError(f"mechanic-kernel {' '.join(args)} failed: {done.stderr.strip()}")
        return json.loads(done.stdout)


class Postgres:
    """The PostgreSQL cluster: the databases we create, the pids of its processes and its counters."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.admin_url = admin_url
        self.conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        self.created: list[str] = []
        admin_pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.postmaster = int(_stat(admin_pid)[1]) if _stat(admin_pid) else None
        self.version = self.conn.execute("SHOW server_version").fetchone()[0]
        names = ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "shared_buffers",
                 "max_connections")
        self.settings = {name: self.conn.execute(f"SHOW {name}").fetchone()[0] for name in names}

    def url(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{database}"))

    def create(self, database: str) -> str:
        """Create ``database``, remembered for :meth:`drop_all`; return its URL."""
        from psycopg import sql

        self.conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        self.created.append(database)
        return self.url(database)

    def drop_all(self) -> None:
        """Drop every database created here (connected sessions are ended first)."""
        from psycopg import sql

        for database in list(self.created):
            try:
                self.conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                                  .format(sql.Identifier(database)))
                self.created.remove(database)
            except Exception as exc:  # noqa: BLE001 - try the others, say which is left
                print(f"could not drop database {database}: {exc}", file=sys.stderr)
        self.conn.close()

    def backends(self, database: str, exclude: int | None) -> list[int]:
        """Pids of the client backends connected to ``database``, but ``exclude``."""
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = "
                                 "'client backend' AND pid <> %s", (database, exclude or 0)).fetchall()
        return [row[0] for row in rows]

    def shared(self) -> list[int]:
        """Pids of the server's own processes (postmaster, WAL writer, checkpointer, autovacuum …)."""
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'"
                                 ).fetchall()
        return [row[0] for row in rows] + ([self.postmaster] if self.postmaster else [])

    def counters(self, database: str) -> dict[str, float]:
        """Counters: ``database``'s transactions and sessions, and the whole cluster's WAL fsyncs and bytes.

        ``xacts`` counts read-only transactions too; ``xids`` (transaction ids handed out, read without taking
        one) counts write transactions, of the whole cluster.
        """
        xact = self.conn.execute("SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = %s",
                                 (database,)).fetchone()
        xid = self.conn.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").fetchone()[0]
        wal = self.conn.execute("SELECT wal_sync, wal_bytes FROM pg_stat_wal").fetchone()
        return {"xacts": float(xact[0] if xact else 0), "sessions": float(xact[1] if xact else 0),
                "xids": float(xid), "wal_syncs": float(wal[0]), "wal_bytes": float(wal[1])}


class Probe:
    """Read-only queries on one configuration's store (SQLite file or PostgreSQL database)."""

    def __init__(self, backend: str, target: str) -> None:
        self.backend = backend
        self.queries = 0
        if backend == "sqlite":
            self.conn: Any = sqlite3.connect(target, timeout=30, isolation_level=None)
            self.pid = None
        else:
            import psycopg

            self.conn = psycopg.connect(target, autocommit=True)
            self.pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (``?`` placeholders on both backends)."""
        self.queries += 1
        if self.backend == "postgresql":
            sql = sql.replace("?", "%s")
        return list(self.conn.execute(sql, params).fetchall())

    def max_seq(self, table: str) -> int:
        """The highest ``seq`` of ``table`` (0 when empty)."""
        return int(self.rows(f"SELECT coalesce(max(seq), 0) FROM {table}")[0][0])

    def events_since(self, seq: int) -> int:
        """Events stored after ``seq``."""
        return int(self.rows("SELECT count(*) FROM events WHERE seq > ?", (seq,))[0][0])

    def request_ids_since(self, seq: int) -> set[str]:
        """Webhook request ids of the events stored after ``seq``."""
        return {row[0] for row in self.rows("SELECT webhook_request_id FROM events WHERE seq > ?", (seq,))}

    def actions_since(self, seq: int) -> tuple[int, str | None, int]:
        """(echo action runs succeeded, the latest stopped_at among them, runs failed), after run ``seq``."""
        done, last = self.rows("SELECT count(*), max(stopped_at) FROM runs WHERE seq > ? AND kind = 'action' "
                               "AND status = 'succeeded'", (seq,))[0]
        failed = self.rows("SELECT count(*) FROM runs WHERE seq > ? AND status = 'failed'", (seq,))[0][0]
        return int(done), last, int(failed)

    def settle(self, seq: int, quiet: float = 0.3, timeout: float = 15) -> int:
        """Wait until no more events arrive (requests in flight when wrk stopped); return the count."""
        count, since, deadline = self.events_since(seq), time.monotonic(), time.monotonic() + timeout
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.events_since(seq)
            if now != count:
                count, since = now, time.monotonic()
        return count

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


# -- wrk -------------------------------------------------------------------------------------------------

@dataclass
class WrkRun:
    """What one wrk run printed, cost and acknowledged."""

    output: str
    cpu: float
    acked_ids: list[str]
    other_statuses: dict[int, int]
    connections: list[int] | None = None  # per server process, one second into the run

    def figure(self, pattern: str) -> str | None:
        """The first group of ``pattern`` in wrk's output."""
        match = re.search(pattern, self.output, re.M)
        return match.group(1) if match else None

    @property
    def rps(self) -> float:
        """Requests per second as wrk reports them."""
        return float(self.figure(r"Requests/sec:\s+([\d.]+)") or 0)

    def latency(self, percent: str) -> float:
        """A percentile of ``--latency``'s distribution, in milliseconds."""
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", self.output, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    @property
    def socket_errors(self) -> str:
        """The socket errors wrk reports, if any."""
        return self.figure(r"Socket errors: (.*)") or ""


class Wrk:
    """Runs wrk with the recording script; each run gets files of its own in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runs = 0

    def run(self, url: str, *, seconds: float, connections: int, quota: int = 0,
            until: Callable[[], bool] | None = None, spread: int | None = None) -> WrkRun:
        """Run wrk for ``seconds``, or until ``until()`` returns true (then SIGINT: wrk prints and exits).

        With ``spread`` (a server's pid), count one second in how wrk's connections spread over its processes.
        """
        self.runs += 1
        ids_path = self.workdir / f"acked-{self.runs}.txt"
        script = self.workdir / f"post-{self.runs}.lua"
        script.write_text(WRK_LUA.replace("@BODY@", json.dumps(PAYLOAD)).replace("@QUOTA@", str(quota))
                          .replace("@OUT@", json.dumps(str(ids_path))))
        out_path = self.workdir / f"wrk-{self.runs}.out"
        with open(out_path, "w") as out:
            proc = subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                                     "-s", str(script), url], stdout=out, stderr=subprocess.STDOUT)
        spread_counts, started = None, time.monotonic()
        try:  # wait4, not Popen.wait: its rusage is wrk's own CPU time
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if spread is not None and time.monotonic() - started >= 1:
                    spread_counts, spread = connections_per_process(urlsplit(url).port, spread), None
                if until is not None and until():
                    proc.send_signal(signal.SIGINT)
                    _, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
            proc.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            if proc.returncode is None:
                proc.kill()
                proc.wait()
            raise
        output = out_path.read_text()
        if proc.returncode != 0 or not ids_path.exists():
            raise RuntimeError(f"wrk failed ({proc.returncode}): {output.strip()}")
        ids, statuses = [], {}
        for line in ids_path.read_text().splitlines():
            if line.startswith("status "):
                _, code, count = line.split()
                statuses[int(code)] = statuses.get(int(code), 0) + int(count)
            else:
                ids.append(line)
        ids_path.unlink()
        return WrkRun(output, usage.ru_utime + usage.ru_stime, ids, statuses, spread_counts)


def connections_per_process(port: int, server: int) -> list[int] | None:
    """Established connections to ``port`` held by each process below ``server`` (``ss``), largest first."""
    try:
        out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    held: dict[int, int] = {pid: 0 for pid in descendants(server)}
    for pid in re.findall(r"pid=(\d+)", out):
        if int(pid) in held:
            held[int(pid)] += 1
    return sorted(held.values(), reverse=True)


# -- configurations --------------------------------------------------------------------------------------

@dataclass
class Config:
    """One thing measured: a server (and workers) on one store, and its rounds."""

    name: str
    backend: str  # bare, sqlite, postgresql
    url: str = ""
    server: subprocess.Popen[bytes] | None = None
    probe: Probe | None = None
    database: str | None = None
    store: str | None = None
    home: Path | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker_count: int = 0
    shared: Config | None = None  # pipeline: the configuration whose server and store this one uses
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def groups(self, pg: Postgres | None) -> Groups:
        """The pids to meter, by kind: server (with forked children), workers, PostgreSQL processes."""
        groups: Groups = {}
        if self.server is not None:
            groups["server"] = [self.server.pid, *descendants(self.server.pid)]
        if self.workers:
            groups["workers"] = [pid for w in self.workers for pid in (w.pid, *descendants(w.pid))]
        if pg is not None and self.database:
            groups["pg"] = pg.backends(self.database, self.probe.pid if self.probe else None)
            groups["pg-shared"] = pg.shared()
        return groups


def wait_ready(url: str, timeout: float = 60) -> None:
    """POST until the server answers 204 (the first request also opens its store connections)."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, data=PAYLOAD.encode(), headers={"Content-Type": "application/json"})
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 204:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} does not answer 204")
        time.sleep(0.1)


def wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until ``proc`` wrote ``text`` to ``log``."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{log.name}: no {text!r}:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)


def own_cpu() -> float:
    """CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def port_of(url: str) -> int:
    """The port of an http URL."""
    return int(urlsplit(url).port or 80)


class Bench:
    """The run: its servers, workers and stores, and the measurements."""

    def __init__(self, args: argparse.Namespace, workdir: Path, procs: Processes,
                 pg: Postgres | None) -> None:
        self.args = args
        self.workdir = workdir
        self.procs = procs
        self.pg = pg
        self.wrk = Wrk(workdir)
        self.tag = f"mk_scale_{os.getpid()}"

    def backends(self) -> list[str]:
        """The backends measured in this run."""
        skip = {"sqlite": self.args.skip_sqlite, "postgresql": self.args.skip_postgres}
        return [backend for backend, skipped in skip.items() if not skipped]

    def new_store(self, backend: str, name: str) -> tuple[Path, str, str | None]:
        """(home, store URL, database) for a fresh store of ``backend``."""
        home = self.workdir / f"home-{name}"
        home.mkdir()
        if backend == "sqlite":
            return home, f"sqlite:///{home / 'mechanic.sqlite3'}", None
        database = f"{self.tag}_{name}"
        return home, self.pg.create(database), database

    def start_server(self, config: Config, processes: int, topic: str, *, task: bool = False) -> None:
        """A fresh store with one webhook (and the echo task), and ``serve --no-worker`` on it."""
        name = config.name.replace(" ", "")
        config.home, config.store, config.database = self.new_store(config.backend, name)
        common = ["--home", str(config.home), "--store", config.store]
        hook = self.procs.cli("webhooks", "create", "--name", "Bench", "--topic", topic, *common)
        if task:
            script = config.home / "echo.liquid"
            script.write_text(ECHO_SCRIPT)
            self.procs.cli("tasks", "create", "--name", "Echo", "--subscription", topic, "--script-file",
                           str(script), *common)
        port = free_port()
        args = [PYTHON, "-m", "mechanic_kernel", "serve", *common, "--port", str(port), "--no-worker"]
        if processes > 1:
            args += ["--processes", str(processes)]
        config.server = self.procs.start(args, self.workdir / f"serve-{name}.log")
        config.url = f"http://127.0.0.1:{port}/mechanic/webhooks/{hook['id']}"
        target = str(config.home / "mechanic.sqlite3") if config.backend == "sqlite" else config.store
        config.probe = Probe(config.backend, target)

    def start_bare(self) -> Config:
        """The bare Tornado handler of ``benchmarks/ingest.py``."""
        port = free_port()
        config = Config("bare tornado", "bare")
        config.server = self.procs.start([PYTHON, "-c", BARE_SERVER, str(port)], self.workdir / "bare.log")
        config.url = f"http://127.0.0.1:{port}/mechanic/webhooks/bare"
        return config

    # -- one measurement ---------------------------------------------------------------------------------
    def measure(self, config: Config, drive: Callable[[int], tuple[WrkRun, float]],
                finish: Callable[[int, int, float], dict[str, Any]] | None = None) -> dict[str, Any]:
        """CPU, machine and store figures around ``drive`` (runs wrk) and ``finish``, then the id check.

        ``drive(events_seq)`` returns wrk's run and the wall-clock time it started; ``finish(events_seq,
        runs_seq, started)`` waits for the pipeline and returns its figures.
        """
        pg = self.pg if config.backend == "postgresql" else None
        probe = config.probe
        events_seq = probe.max_seq("events") if probe else 0
        runs_seq = probe.max_seq("runs") if probe else 0
        counters0 = pg.counters(config.database) if pg else {}
        queries0 = probe.queries if probe else 0
        cpu0, machine0, self0 = sample(config.groups(pg)), machine_jiffies(), own_cpu()
        wall0 = time.monotonic()
        result, started = drive(events_seq)
        extra = finish(events_seq, runs_seq, started) if finish else {}
        wall = time.monotonic() - wall0
        cpu1, machine1, self1 = sample(config.groups(pg)), machine_jiffies(), own_cpu()
        figures: dict[str, Any] = {
            "rps": result.rps, "p50": result.latency("50"), "p99": result.latency("99"),
            "acked": len(result.acked_ids), "other_statuses": result.other_statuses,
            "connections": result.connections,
            "socket_errors": result.socket_errors, "wall": wall,
            "cpu": {**spent(cpu0, cpu1), "wrk": result.cpu, "bench": self1 - self0},
            "busy_cores": (machine1[0] - machine0[0]) / CLK_TCK / wall,
            "steal_cores": (machine1[1] - machine0[1]) / CLK_TCK / wall,
            **extra,
        }
        if config.server is not None and config.backend != "bare":
            children = descendants(config.server.pid)
            if children:  # --processes N: how the load spread over the forked servers
                figures["split"] = sorted((cpu1["server"].get(pid, 0) - cpu0["server"].get(pid, 0)
                                           for pid in children), reverse=True)
        if probe:
            if pg:
                time.sleep(1.5)  # backends report their statistics within a second of going idle
                counters1 = pg.counters(config.database)
                figures["pg_counters"] = {key: counters1[key] - counters0[key] for key in counters0}
                figures["pg_counters"]["xacts"] -= probe.queries - queries0  # the probe's own queries
            figures["stored"] = probe.settle(events_seq)
            stored = probe.request_ids_since(events_seq)
            figures["missing"] = sum(1 for request_id in result.acked_ids if request_id not in stored)
        return figures

    # -- ingest ------------------------------------------------------------------------------------------
    def ingest(self) -> list[Config]:
        """Bare and ``serve --no-worker`` x 1 and x 2 per backend, in alternating rounds."""
        args = self.args
        configs = [self.start_bare()]
        for backend in self.backends():
            for processes in (1, 2):
                config = Config(f"{backend} x{processes}", backend)
                self.start_server(config, processes, INGEST_TOPIC)
                configs.append(config)
        for config in configs:
            wait_for_port(port_of(config.url))
            wait_ready(config.url)
        for config in configs:  # warm-up: every forked process started, connections opened, caches filled
            self.wrk.run(config.url, seconds=2, connections=args.connections)
        print(f"\nINGEST: wrk -t2 -c{args.connections}, {len(PAYLOAD)}-byte JSON POST, "
              f"{args.seconds} s rounds", flush=True)
        for number in range(1, args.rounds + 1):
            for config in configs if number % 2 else list(reversed(configs)):
                def drive(_: int, config: Config = config) -> tuple[WrkRun, float]:
                    spread = config.server.pid if config.name.endswith("x2") else None
                    return self.wrk.run(config.url, seconds=args.seconds, connections=args.connections,
                                        spread=spread), time.time()

                figures = self.measure(config, drive)
                config.rounds.append(figures)
                print(f"round {number} {config.name:14s} {figures['rps']:7.0f} req/s  "
                      f"p50 {figures['p50']:6.2f} ms  p99 {figures['p99']:6.2f} ms  "
                      f"204s {figures['acked']:6d}"
                      + (f"  stored {figures['stored']:6d}  missing {figures['missing']}"
                         if "stored" in figures else "")
                      + (f"  other statuses {figures['other_statuses']}" if figures["other_statuses"] else "")
                      + (f"  socket errors: {figures['socket_errors']}" if figures["socket_errors"] else "")
                      + (f"  connections per process {'/'.join(map(str, figures['connections']))}"
                         if figures["connections"] else "")
                      + (f"  CPU s per process {'/'.join(f'{s:.1f}' for s in figures['split'])}"
                         if "split" in figures else "")
                      + f"  machine busy {figures['busy_cores']:.2f} cores", flush=True)
        for config in configs:
            self.procs.stop(config.server)
            if config.probe:
                config.probe.close()
        return configs

    # -- pipeline ----------------------------------------------------------------------------------------
    def pipeline(self) -> list[Config]:
        """``serve --no-worker`` plus 1 or 2 ``worker run`` per backend, in alternating rounds."""
        args = self.args
        configs, servers = [], []
        for backend in self.backends():
            server = Config(f"{backend} pipeline", backend)
            self.start_server(server, 1, PIPELINE_TOPIC, task=True)
            servers.append(server)
            for workers in (1, 2):
                configs.append(Config(f"{backend} {workers} worker{'s' if workers > 1 else ''}", backend,
                                      worker_count=workers, shared=server))
        for server in servers:
            wait_for_port(port_of(server.url))
            wait_ready(server.url)
        concurrency = ["--concurrency", str(args.worker_concurrency)] if args.worker_concurrency else []
        print(f"\nPIPELINE: POST -> echo action performed; {args.events} events per round from "
              f"{args.clients} wrk connections; serve --no-worker + N x worker run (concurrency "
              f"{args.worker_concurrency or 'default'})", flush=True)
        for number in range(1, args.rounds + 1):
            for config in configs if number % 2 else list(reversed(configs)):
                server = config.shared
                config.server, config.url, config.probe = server.server, server.url, server.probe
                config.database, config.store, config.home = server.database, server.store, server.home
                try:
                    for index in range(config.worker_count):
                        log = self.workdir / f"worker-{config.backend}-{number}-{index}.log"
                        worker = self.procs.start([PYTHON, "-m", "mechanic_kernel", "worker", "run",
                                                   "--home", str(config.home), "--store", config.store,
                                                   *concurrency], log)
                        config.workers.append(worker)
                        wait_for_line(log, "worker performing runs", worker)
                    self.wait_idle(config)
                    figures = self.measure(config, lambda seq, c=config: self.drive(c, seq),
                                           self.finisher(config))
                finally:
                    for worker in config.workers:
                        self.procs.stop(worker)
                    config.workers = []
                config.rounds.append(figures)
                print(f"round {number} {config.name:20s} {figures['events_per_s']:6.0f} events/s  "
                      f"{figures['stored']} events, POSTs answered within {figures['posting_s']:.1f} s, "
                      f"last echo after {figures['elapsed_s']:.1f} s  missing {figures['missing']}  "
                      f"failed runs {figures['failed']}  machine busy {figures['busy_cores']:.2f} cores",
                      flush=True)
        for server in servers:
            self.procs.stop(server.server)
            server.probe.close()
        return configs

    def wait_idle(self, config: Config, timeout: float = 60) -> None:
        """Wait until the workers and the database are idle.

        A worker's start-up work (its first claim, and the retention purge it runs at start and then hourly:
        about 0.4 s of PostgreSQL CPU on these stores) is not the pipeline's cost per event.
        """
        pg = self.pg if config.backend == "postgresql" else None
        deadline = time.monotonic() + timeout
        before = sample(config.groups(pg))
        while time.monotonic() < deadline:
            time.sleep(0.5)
            after = sample(config.groups(pg))
            if sum(spent(before, after).values()) < 0.02:
                return
            before = after

    def drive(self, config: Config, events_seq: int) -> tuple[WrkRun, float]:
        """POST until ``--events`` events are stored (each wrk thread also stops after its share)."""
        started = time.time()
        result = self.wrk.run(config.url, seconds=3600, connections=self.args.clients,
                              quota=-(-self.args.events // 2),
                              until=lambda: config.probe.events_since(events_seq) >= self.args.events)
        self._posted_at = time.time()
        return result, started

    def finisher(self, config: Config) -> Callable[[int, int, float], dict[str, Any]]:
        """Wait until every event of the round has its echo action run succeeded; the pipeline's figures."""
        def finish(events_seq: int, runs_seq: int, started: float) -> dict[str, Any]:
            events = config.probe.settle(events_seq)
            deadline = time.monotonic() + 900
            while True:
                done, last, failed = config.probe.actions_since(runs_seq)
                if done >= events:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{config.name}: {done} of {events} echo actions performed in 15 min")
                time.sleep(0.05)
            stopped = dt.datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp()
            return {"events": events, "failed": failed, "posting_s": self._posted_at - started,
                    "elapsed_s": stopped - started, "events_per_s": events / (stopped - started)}
        return finish


# -- report ----------------------------------------------------------------------------------------------

def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def per_event(config: Config, key: str, count: str) -> float:
    """CPU milliseconds of process group ``key`` per event (or request), over all rounds."""
    if not any(key in r["cpu"] for r in config.rounds):
        return float("nan")
    cpu = sum(r["cpu"].get(key, 0.0) for r in config.rounds)
    n = sum(r[count] for r in config.rounds)
    return 1000 * cpu / n if n else float("nan")


def machine(config: Config) -> tuple[float, float]:
    """The machine's busy cores over the rounds, and the part no measured process accounts for."""
    wall = sum(r["wall"] for r in config.rounds)
    busy = sum(r["busy_cores"] * r["wall"] for r in config.rounds)
    measured = sum(sum(r["cpu"].values()) for r in config.rounds)
    return busy / wall, (busy - measured) / wall


def cell(value: float, digits: int = 3, width: int = 6) -> str:
    return f"{'-' if value != value else f'{value:.{digits}f}':>{width}s}"  # NaN: not measured


def cpu_cells(config: Config, keys: list[str], count: str) -> str:
    values = [per_event(config, key, count) for key in keys]
    total = sum(v for v in values if v == v)
    busy, other = machine(config)
    return " ".join(cell(v) for v in values) + f" {cell(total)} | {busy:5.2f} {other:5.2f}"


def pg_lines(configs: list[Config], count: str) -> None:
    """PostgreSQL's counters per event of each PostgreSQL configuration."""
    for config in configs:
        rounds = [r for r in config.rounds if "pg_counters" in r]
        if not rounds:
            continue
        n = sum(r[count] for r in rounds)
        total = {key: sum(r["pg_counters"][key] for r in rounds) for key in rounds[0]["pg_counters"]}
        print(f"  {config.name:20s} per event: write transactions {total['xids'] / n:.2f} (cluster), "
              f"transactions {total['xacts'] / n:.2f} (this database, read-only ones too), WAL fsyncs "
              f"{total['wal_syncs'] / n:.3f}, WAL {total['wal_bytes'] / n / 1024:.1f} KiB (cluster); "
              f"sessions opened {total['sessions']:.0f}")


def ratio_line(one: Config | None, two: Config | None, key: str, label: str, target: float | None) -> None:
    if not one or not two:
        return
    ratio = mean([r[key] for r in two.rounds]) / mean([r[key] for r in one.rounds])
    rounds = ", ".join(f"{b[key] / a[key]:.2f}" for a, b in zip(one.rounds, two.rounds, strict=True))
    verdict = f"  (target >= {target:.2f}: {'met' if ratio >= target else 'NOT met'})" if target else ""
    print(f"{one.backend:10s} {label}: {ratio:.2f} (rounds {rounds}){verdict}")


def report_ingest(configs: list[Config], args: argparse.Namespace) -> int:
    """The ingest table and ratios; returns how many acknowledged events were missing."""
    bare = configs[0]
    bare_rps = mean([r["rps"] for r in bare.rounds])
    print(f"\nINGEST SUMMARY (mean of {args.rounds} rounds; CPU: ms per acknowledged request over all "
          "rounds; cores: the machine's busy cores, and what no measured process accounts for)")
    print(f"{'configuration':14s} {'req/s':>6s} {'x bare':>6s} {'rounds':>10s} {'p50 ms':>6s} {'p99 ms':>6s} "
          f"{'204s':>7s} {'stored':>7s} {'miss':>4s} | {'server':>6s} {'pg-db':>6s} {'pg-shr':>6s} "
          f"{'wrk':>6s} {'total':>6s} | {'busy':>5s} {'other':>5s}")
    missing = 0
    for config in configs:
        rps = mean([r["rps"] for r in config.rounds])
        per_round = "/".join(f"{r['rps'] / b['rps']:.2f}"
                             for r, b in zip(config.rounds, bare.rounds, strict=True))
        lost = sum(r.get("missing", 0) for r in config.rounds)
        missing += lost
        stored = (f"{sum(r['stored'] for r in config.rounds):7d} {lost:4d}" if config.probe
                  else f"{'-':>7s} {'-':>4s}")
        print(f"{config.name:14s} {rps:6.0f} {rps / bare_rps:6.2f} {per_round:>10s} "
              f"{mean([r['p50'] for r in config.rounds]):6.2f} "
              f"{mean([r['p99'] for r in config.rounds]):6.2f} "
              f"{sum(r['acked'] for r in config.rounds):7d} {stored} | "
              + cpu_cells(config, ["server", "pg", "pg-shared", "wrk"], "acked"))
    by_name = {config.name: config for config in configs}
    for backend in ("sqlite", "postgresql"):
        ratio_line(by_name.get(f"{backend} x1"), by_name.get(f"{backend} x2"), "rps",
                   "2 processes / 1 process", 1.4 if backend == "postgresql" else None)
        if two := by_name.get(f"{backend} x2"):
            spreads = ", ".join("/".join(map(str, r["connections"])) if r["connections"] else "?"
                                for r in two.rounds)
            print(f"{'':10s} wrk's {args.connections} connections per server process, by round: {spreads}")
    pg_lines(configs, "acked")
    print(f"acknowledged but missing from the store: {missing} "
          f"(target 0: {'met' if missing == 0 else 'NOT met'})")
    return missing


def report_pipeline(configs: list[Config], args: argparse.Namespace) -> int:
    """The pipeline table and ratios; returns how many acknowledged events were missing."""
    print(f"\nPIPELINE SUMMARY (mean of {args.rounds} rounds; CPU: ms per event over all rounds)")
    print(f"{'configuration':20s} {'ev/s':>5s} {'rounds':>9s} {'events':>6s} {'miss':>4s} {'fail':>4s} | "
          f"{'ingest':>6s} {'worker':>6s} {'pg-db':>6s} {'pg-shr':>6s} {'wrk':>6s} {'total':>6s} | "
          f"{'busy':>5s} {'other':>5s}")
    missing = 0
    for config in configs:
        rates = [r["events_per_s"] for r in config.rounds]
        lost = sum(r["missing"] for r in config.rounds)
        missing += lost
        print(f"{config.name:20s} {mean(rates):5.0f} {'/'.join(f'{x:.0f}' for x in rates):>9s} "
              f"{sum(r['stored'] for r in config.rounds):6d} {lost:4d} "
              f"{sum(r['failed'] for r in config.rounds):4d} | "
              + cpu_cells(config, ["server", "workers", "pg", "pg-shared", "wrk"], "stored"))
    by_name = {config.name: config for config in configs}
    for backend in ("sqlite", "postgresql"):
        ratio_line(by_name.get(f"{backend} 1 worker"), by_name.get(f"{backend} 2 workers"), "events_per_s",
                   "2 workers / 1 worker", None)
    pg_lines(configs, "stored")
    print(f"acknowledged but missing from the store: {missing} "
          f"(target 0: {'met' if missing == 0 else 'NOT met'})")
    return missing


# -- main ------------------------------------------------------------------------------------------------

def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="length of one ingest round (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections for ingest (default 32)")
    parser.add_argument("--events", type=int, default=3000, help="events per pipeline round (default 3000)")
    parser.add_argument("--clients", type=int, default=16, help="pipeline wrk connections (default 16)")
    parser.add_argument("--worker-concurrency", type=int, default=None, help="worker run --concurrency")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("MECHANIC_BENCH_POSTGRES", DEFAULT_POSTGRES),
                        help=f"administrative URL of the PostgreSQL server (default {DEFAULT_POSTGRES})")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("this benchmark needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)  # also when started with SIGINT ignored (a background job)
    workdir = Path(tempfile.mkdtemp(prefix="mechanic-scale-"))
    procs = Processes(workdir)
    pg: Postgres | None = None
    status = 0
    try:
        if not args.skip_postgres:
            try:
                pg = Postgres(args.postgres)
            except Exception as exc:  # noqa: BLE001 - say what to do
                print(f"cannot reach PostgreSQL at {args.postgres} ({exc}); pass --postgres URL or "
                      "--skip-postgres", file=sys.stderr)
                return 2
        bench = Bench(args, workdir, procs, pg)
        load_before, fsync_before = os.getloadavg(), fsync_ms(workdir)
        print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} {load_before[1]:.2f} "
              f"{load_before[2]:.2f}; fsync of 4 KiB in {workdir.parent}: p50 {fsync_before[0]:.2f} / "
              f"p90 {fsync_before[1]:.2f} ms; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        if pg:
            print(f"PostgreSQL {pg.version}: " + ", ".join(f"{k} = {v}" for k, v in pg.settings.items()))
        ingest = bench.ingest() if not args.skip_ingest else []
        pipeline = bench.pipeline() if not args.skip_pipeline else []
        load_after, fsync_after = os.getloadavg(), fsync_ms(workdir)
        missing = 0
        if ingest:
            missing += report_ingest(ingest, args)
        if pipeline:
            missing += report_pipeline(pipeline, args)
        print(f"\nload average {load_before[0]:.2f} before, {load_after[0]:.2f} after; fsync p50 "
              f"{fsync_before[0]:.2f} / p90 {fsync_before[1]:.2f} ms before, p50 {fsync_after[0]:.2f} / "
              f"p90 {fsync_after[1]:.2f} ms after")
        status = 1 if missing else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process and dropping every database of this run",
              file=sys.stderr)
        status = 130
    except Exception:
        for log in sorted(workdir.glob("*.log")):
            text = log.read_text(errors="replace").strip()
            if text:
                print(f"--- {log.name} (last lines)\n{text[-1500:]}", file=sys.stderr)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        if pg is not None:
            pg.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
