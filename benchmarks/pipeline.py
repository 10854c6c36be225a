"""The pipeline from webhook POST to performed echo action, against the bare render of the same task.

The real ``mechanic-kernel serve`` (server and worker in one process, default concurrency) runs on a new home
with one webhook and one task, for two tasks in turn:

* **echo**: ``{% action "echo", event.data %}``, the cheapest task there is (the pipeline's own cost);
* **order**: a library-sized task (about 55 lines, like the corpus tasks) that loops over an order's line items,
  tallies vendors and low stock with filters, builds a payload and sends it as one echo action via ``json``.

For each we measure, in the same run:

* **throughput**: ``--events`` POSTs sent by ``--clients`` concurrent clients; events/s from the first POST to
  the moment the last echo action run stopped (its ``stopped_at``);
* **idle latency**: one POST at a time, waiting for its echo action before the next; from the 204 to the
  action run's ``stopped_at`` (server and benchmark share the wall clock), p50 and p99;
* **the render ceiling**: ``render_task`` of the same task for the same event, in this process, renders/s,
  measured before and again after the pipeline (on a shared machine the two differ; the ratio uses their mean
  and both are printed).

    .venv/bin/python benchmarks/pipeline.py [--events 2000] [--clients 16] [--latency-events 200] [--case order]

Targets (issue 4): throughput >= 0.5 x the render ceiling; idle p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mechanic_kernel import Workbench  # noqa: E402
from mechanic_kernel.liquid.runtime import Runtime  # noqa: E402
from mechanic_kernel.shop import shop_object  # noqa: E402
from mechanic_kernel.tasks.execute import event_object  # noqa: E402
from mechanic_kernel.tasks.execute import render_task  # noqa: E402

from _net import free_port  # noqa: E402 - benchmarks run as scripts from this folder
from _net import wait_for_port  # noqa: E402

ECHO_SCRIPT = '{% action "echo", event.data %}'
ECHO_PAYLOAD = {"id": 1234567890, "email": "ann@example.com", "name": "Ann Example", "note": "x" * 120,
                "items": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}]}

ORDER_SCRIPT = """\
{% comment %}
  Summarise an order for a fulfilment partner: tally line items by vendor, flag low-stock SKUs,
  tag the order, and send one payload (an echo stands in for the http action).
{% endcomment %}
{% assign order = event.data %}
{% assign threshold = 3 %}
{% assign excluded_vendors = "Internal,Samples" | split: "," %}
{% assign vendors = hash %}
{% assign lines = array %}
{% assign low_stock = array %}
{% assign total_quantity = 0 %}
{% assign total_cents = 0 %}
{% for line_item in order.line_items %}
  {% if excluded_vendors contains line_item.vendor %}
    {% continue %}
  {% endif %}
  {% assign line_cents = line_item.price | times: 100 | times: line_item.quantity | round %}
  {% assign total_cents = total_cents | plus: line_cents %}
  {% assign total_quantity = total_quantity | plus: line_item.quantity %}
  {% assign vendor_key = line_item.vendor | handleize %}
  {% assign vendors[vendor_key] = vendors[vendor_key] | default: 0 | plus: line_item.quantity %}
  {% if line_item.inventory_quantity < threshold %}
    {% assign low_stock[low_stock.size] = line_item.sku | upcase %}
  {% endif %}
  {% assign line = hash %}
  {% assign line["sku"] = line_item.sku | upcase %}
  {% assign line["title"] = line_item.title | strip | truncate: 40 %}
  {% assign line["quantity"] = line_item.quantity %}
  {% assign line["total"] = line_cents | money_without_currency %}
  {% assign lines[lines.size] = line %}
{% endfor %}
{% assign tags = order.tags | split: ", " | uniq | sort %}
{% if low_stock != empty %}
  {% assign tags = tags | push: "low-stock" %}
{% endif %}
{% capture note %}
  {{ order.name }} for {{ order.customer.first_name | default: "a customer" }} {{ order.customer.last_name }}:
  {{ total_quantity }} {{ total_quantity | pluralize: "item", "items" }} from {{ vendors | keys | size }} vendors
{% endcapture %}
{% assign payload = hash %}
{% assign payload["order_id"] = order.id %}
{% assign payload["name"] = order.name %}
{% assign payload["email"] = order.email | downcase %}
{% assign payload["placed_at"] = order.created_at | date: "%Y-%m-%d %H:%M" %}
{% assign payload["total"] = total_cents | money %}
{% assign payload["vendors"] = vendors %}
{% assign payload["low_stock"] = low_stock | uniq | join: ", " %}
{% assign payload["tags"] = tags | join: ", " %}
{% assign payload["note"] = note | strip | split: "
" | join: " " | strip %}
{% assign payload["lines"] = lines %}
{% if payload.lines == empty %}
  {% log "nothing to send: every line item is excluded" %}
{% else %}
  {% action "echo" %}
    {{ payload | json }}
  {% endaction %}
{% endif %}
"""
ORDER_PAYLOAD = {
    "id": 5123456789, "name": "#1042", "email": "Ann.Example@Example.com", "created_at": "2026-11-28T14:03:00Z",
    "tags": "wholesale, vip, wholesale", "customer": {"first_name": "Ann", "last_name": "Example"},
    "line_items": [{"sku": f"sku-{n}", "title": f"  Product number {n} with a fairly long title  ",
                    "vendor": ["Acme Co", "Globex", "Internal", "Initech"][n % 4], "price": f"{9.5 + n:.2f}",
                    "quantity": 1 + n % 3, "inventory_quantity": n % 6} for n in range(12)],
}

CASES = {"echo": (ECHO_SCRIPT, ECHO_PAYLOAD), "order": (ORDER_SCRIPT, ORDER_PAYLOAD)}




def epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Probe:
    """Read-only view of the server's store: how many echo actions stopped, and when."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)

    def done(self) -> int:
        return self.conn.execute("SELECT count(*) FROM runs WHERE kind = 'action' AND status = 'succeeded'"
                                 ).fetchone()[0]

    def last_stop(self) -> float:
        row = self.conn.execute("SELECT max(stopped_at) FROM runs WHERE kind = 'action'").fetchone()
        return epoch(row[0])

    def action_stop(self, request_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT r.stopped_at FROM runs r JOIN events e ON e.id = r.event_id "
            "WHERE e.webhook_request_id = ? "
            "AND r.kind = 'action' AND r.status = 'succeeded'", (request_id,)).fetchone()
        return row[0] if row else None


def render_ceiling(script: str, payload: dict, seconds: float = 2.0) -> float:
    """Bare renders per second of ``script`` for one event, on a scratch home (nothing else runs)."""
    with Workbench(Path(tempfile.mkdtemp(prefix="mechanic-pipeline-ceiling-"))) as bench:
        task = bench.tasks.create("Ceiling", script=script, subscriptions=["user/bench/ceiling"])
        event = bench.emit_event("user/bench/ceiling", payload)
        live = event_object(event)
        shop = shop_object(bench.settings.show())
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            result = render_task(task, live, shop=shop, cache=bench.cache.view(), runtime=Runtime())
            assert result.ok and len(result.actions) == 1
            count += 1
        return count / (time.perf_counter() - start)


async def throughput(url: str, payload: dict, probe: Probe, events: int, clients: int) -> float:
    before = probe.done()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(events):
        queue.put_nowait(n)

    async def client() -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
            while not queue.empty():
                queue.get_nowait()
                response = await http.post(url, json=payload)
                assert response.status_code == 204, response.status_code

    start = time.time()
    await asyncio.gather(*(client() for _ in range(clients)))
    deadline = time.monotonic() + 600
    while probe.done() < before + events:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {probe.done() - before} of {events} echo actions performed")
        await asyncio.sleep(0.05)
    return events / (probe.last_stop() - start)


def latency(url: str, payload: dict, probe: Probe, events: int) -> list[float]:
    samples = []
    with httpx.Client(trust_env=False, timeout=60) as http:
        for _ in range(events):
            response = http.post(url, json=payload)
            answered = time.time()
            assert response.status_code == 204
            request_id = response.headers["x-request-id"]
            deadline = time.monotonic() + 30
            while (stopped := probe.action_stop(request_id)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("an echo action was not performed within 30 s")
                time.sleep(0.001)
            samples.append(max(0.0, (epoch(stopped) - answered) * 1000))
            time.sleep(0.02)  # idle between requests
    return samples


def measure(case: str, events: int, clients: int, latency_events: int) -> dict:
    """Every figure of one case, on a home of its own."""
    script, payload = CASES[case]
    home = Path(tempfile.mkdtemp(prefix=f"mechanic-pipeline-{case}-"))
    with Workbench(home) as bench:
        webhook = bench.webhooks.create("Bench", "user/bench/run")
        bench.tasks.create(case.title(), script=script, subscriptions=["user/bench/run"])
    ceiling_before = render_ceiling(script, payload)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mechanic_kernel", "serve", "--port", str(port),
                               "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/mechanic/webhooks/{webhook.id}"
        probe = Probe(home / "mechanic.sqlite3")
        latency(url, payload, probe, 20)  # warm-up
        rate = asyncio.run(throughput(url, payload, probe, events, clients))
        samples = sorted(latency(url, payload, probe, latency_events))
    finally:
        server.terminate()
        server.wait(timeout=60)
    ceiling_after = render_ceiling(script, payload)
    ceiling = (ceiling_before + ceiling_after) / 2
    return {
        "render_ceiling_per_s": round(ceiling, 1),
        "render_ceiling_before_after_per_s": [round(ceiling_before, 1), round(ceiling_after, 1)],
        "pipeline_events_per_s": round(rate, 1),
        "ratio_to_ceiling": round(rate / ceiling, 3),
        "idle_latency_p50_ms": round(statistics.median(samples), 1),
        "idle_latency_p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "events": events, "clients": clients, "latency_events": latency_events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--case", choices=sorted(CASES), action="append",
                        help="measure only this task (repeatable); default: every case")
    args = parser.parse_args()

    results = {case: measure(case, args.events, args.clients, args.latency_events)
               for case in args.case or CASES}
    print(json.dumps(results, indent=2))
    for case, figures in results.items():
        rate, ceiling = figures["pipeline_events_per_s"], figures["render_ceiling_per_s"]
        verdict = "meets" if rate / ceiling >= 0.5 else "misses"
        print(f"{case}: throughput {rate:.0f} events/s = {rate / ceiling:.2f} x render ceiling {ceiling:.0f}/s "
              f"({verdict} >= 0.5); idle p50 {figures['idle_latency_p50_ms']:.1f} ms (target < 50), "
              f"p99 {figures['idle_latency_p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
