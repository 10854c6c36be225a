"""Pandas views of a large store: ``Workbench.events()`` over 1,000,000 events, against baselines from the same run.

A store of ``--events`` events (several topics and webhooks, ~300-byte JSON data, one event every ~2.6 s over a
month) is built by inserting rows directly through SQL in large transactions, then each measurement runs in a
fresh subprocess so its peak RSS (``resource.getrusage``) is its own:

* **floor**: a plain ``sqlite3`` ``fetchall()`` of the same columns, newest first (no DataFrame at all);
* **naive**: ``pd.read_sql`` + ``pd.to_datetime`` + ``json.loads`` of every ``data``, on a ``--sample`` of the
  newest events, extrapolated linearly to the whole store;
* **previous**: ``wb.events()`` as it was before these views (Event objects, then ``json_normalize``), on the
  sample, extrapolated;
* **all**: ``wb.events()``: every event, ``data`` left as JSON text (the default);
* **parse-sample**: ``wb.events(limit=--sample, parse=True)``: ``data`` decoded, extrapolated;
* **filtered**: ``wb.events(topic=..., since=..., until=...)`` selecting ~10,000 events;
* **filtered-flatten**: the same 10,000 events with ``flatten=True``;
* **newest-100**: ``wb.events(limit=100)``.

Times cover the call only: pandas is imported and the workbench open, as in a notebook.

    .venv/bin/python benchmarks/frames.py [--events 1000000] [--sample 100000] [--home DIR] [--keep]

Targets (issue 6): all events < 10 s and < 3 GB peak RSS; the 10,000-event filtered frame < 0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOPICS = [  # (topic, share, webhook index or None)
    ("user/orders/created", 0.30, 0),
    ("user/orders/paid", 0.20, 1),
    ("user/customers/updated", 0.20, 2),
    ("user/inventory/changed", 0.15, 3),
    ("user/webhook/test", 0.05, 4),
    ("mechanic/scheduler/hourly", 0.05, None),
    ("user/reports/nightly", 0.05, None),
]
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=30)
BATCH = 50_000
FILTER_TOPIC = "user/orders/created"  # 30% of the events: 10,000 of them span ~1/30 of the month


def _data(rng: random.Random, topic: str, number: int, created_at: str) -> dict:
    first = rng.choice(["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gus"])
    return {
        "id": 5_000_000_000 + number,
        "name": f"#{1000 + number}",
        "customer": {"email": f"{first.lower()}{rng.randrange(10_000)}@example.com", "first_name": first,
                     "tags": rng.sample(["vip", "wholesale", "new", "returning"], k=rng.randrange(3))},
        "total_price": round(rng.uniform(5, 500), 2),
        "currency": "EUR",
        "line_items": [{"sku": f"SKU-{rng.randrange(1000):04d}", "quantity": rng.randrange(1, 5)}
                       for _ in range(rng.randrange(1, 4))],
        "note": None if rng.random() < 0.5 else "leave at the door",
        "created_at": created_at,
        "test": topic == "user/webhook/test",
    }


def build(path: Path, count: int, seed: int = 6) -> None:
    """Create (and migrate) a store at ``path`` holding ``count`` events, inserted in batched transactions."""
    from mechanic_kernel.store.database import Database

    Database(path).close()
    rng = random.Random(seed)
    webhook_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(5)]
    topics = [topic for topic, _, _ in TOPICS]
    weights = [share for _, share, _ in TOPICS]
    hooks = {topic: hook for topic, _, hook in TOPICS}
    step = SPAN / count
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    sql = ("INSERT INTO events (id, topic, data, source, created_at, webhook_id, webhook_request_id, parent_id)"
           " VALUES (?,?,?,?,?,?,?,?)")
    previous: list[str] = []
    for start in range(0, count, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, count)):
            topic = rng.choices(topics, weights)[0]
            hook = hooks[topic]
            event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            moment = START + step * number
            created_at = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
            parent = previous[-1] if hook is None and previous and rng.random() < 0.5 else None
            rows.append((event_id, topic, encode(_data(rng, topic, number, created_at)),
                         "webhook" if hook is not None else "mechanic" if topic.startswith("mechanic/") else "user",
                         created_at, None if hook is None else webhook_ids[hook],
                         None if hook is None else str(uuid.UUID(int=rng.getrandbits(128), version=4)), parent))
            previous = [event_id]
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


# -- measurements (each in its own subprocess, so each peak RSS is its own) ----------------------------------------
def _filter_window(count: int) -> tuple[str, str]:
    """A time range holding ~10,000 events of FILTER_TOPIC (30% of the events) whatever the store size."""
    width = SPAN * min(1.0, 10_000 / (0.30 * count))
    since = START + SPAN / 3
    return since.isoformat(), (since + width).isoformat()


def _previous_events_frame(events: list) -> object:
    """``wb.events()`` as it was before the views (Event objects, then ``json_normalize``), for comparison."""
    import pandas as pd

    columns = ["id", "topic", "created_at", "source", "webhook_id", "webhook_request_id", "parent_id"]
    frame = pd.DataFrame([[getattr(event, column) for column in columns] for event in events], columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    objects = [event.data if isinstance(event.data, dict) else {"": event.data} for event in events]
    flat = pd.json_normalize(objects, sep=".")
    return pd.concat([frame, flat], axis=1)


def measure(name: str, home: Path, count: int, sample: int) -> dict:
    """Run one measurement in this process; return rows, seconds and peak RSS (MB)."""
    import pandas as pd

    from mechanic_kernel import Workbench

    since, until = _filter_window(count)
    bench = Workbench(home)
    db_path = bench.store.path
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu_before = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    scale = 1.0
    if name == "floor":
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        rows = len(conn.execute("SELECT id, topic, created_at, source, webhook_id, webhook_request_id, parent_id, "
                                "data FROM events ORDER BY seq DESC").fetchall())
    elif name == "naive":
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        frame = pd.read_sql(f"SELECT * FROM events ORDER BY seq DESC LIMIT {sample}", conn)
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
        frame["data"] = frame["data"].map(json.loads)
        rows, scale = len(frame), count / sample
    elif name == "previous":
        rows = len(_previous_events_frame(bench.list_events(limit=sample)))
        scale = count / sample
    elif name == "all":
        rows = len(bench.events())
    elif name == "parse-sample":
        rows = len(bench.events(limit=sample, parse=True))
        scale = count / sample
    elif name == "filtered":
        rows = len(bench.events(topic=FILTER_TOPIC, since=since, until=until))
    elif name == "filtered-flatten":
        rows = len(bench.events(topic=FILTER_TOPIC, since=since, until=until, flatten=True))
    elif name == "newest-100":
        rows = len(bench.events(limit=100))
    else:
        raise SystemExit(f"unknown measurement {name!r}")
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    bench.close()
    return {"name": name, "rows": rows, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu_before,
            "scale": scale, "rss_mb": usage.ru_maxrss / 1024, "rss_before_mb": before}


MEASUREMENTS = ["floor", "naive", "previous", "all", "parse-sample", "filtered", "filtered-flatten", "newest-100"]


def _run(name: str, home: Path, count: int, sample: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", name, "--home", str(home), "--events", str(count),
                           "--sample", str(sample)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"measurement {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--home", type=Path, help="reuse (or build) the store here; default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.home, args.events, args.sample)))
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="mechanic-frames-"))
    store = home / "mechanic.sqlite3"
    try:
        have = 0
        if store.exists():
            with sqlite3.connect(store) as conn:
                have = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        if have != args.events:
            if store.exists():
                raise SystemExit(f"{store} holds {have} events, not {args.events}: give another --home")
            home.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            build(store, args.events)
            print(f"built {args.events:,} events in {time.perf_counter() - started:.0f} s "
                  f"({store.stat().st_size / 2**20:,.0f} MB)")
        with sqlite3.connect(store) as conn:
            size = conn.execute("SELECT avg(length(data)) FROM events").fetchone()[0]
        print(f"store: {args.events:,} events, data {size:.0f} bytes on average; peak RSS per measurement\n")
        results = {name: _run(name, home, args.events, args.sample) for name in MEASUREMENTS}
        floor = results["floor"]["seconds"]
        print(f"{'measurement':<18} {'rows':>9} {'wall s':>8} {'CPU s':>7} {'whole store':>12} {'x floor':>8} "
              f"{'peak RSS':>9}")
        for name, result in results.items():
            whole = result["seconds"] * result["scale"]
            extrapolated = "*" if result["scale"] != 1 else " "
            print(f"{name:<18} {result['rows']:>9,} {result['seconds']:>8.3f} {result['cpu']:>7.2f} "
                  f"{whole:>11.2f}{extrapolated} {whole / floor:>8.2f} {result['rss_mb']:>7,.0f} MB")
        print("\n* wall seconds extrapolated linearly from the sample to the whole store; x floor compares those")
        all_events, filtered = results["all"], results["filtered"]
        print(f"targets: all events {all_events['seconds']:.2f} s (< 10 s) and {all_events['rss_mb'] / 1024:.2f} GB "
              f"(< 3 GB); filtered {filtered['rows']:,} events {filtered['seconds']:.3f} s (< 0.5 s)")
        for name in ("naive", "previous"):
            whole = results[name]["seconds"] * results[name]["scale"]
            print(f"wb.events() is {whole / all_events['seconds']:.1f}x faster than {name} (extrapolated)")
    finally:
        if args.home is None and not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
