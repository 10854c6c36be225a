"""The fan-out example of spec §1.10: one click, 154 events (statement 50)."""

from __future__ import annotations

from runtools import events_of
from runtools import make_task

from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus

FAN_OUT = """
{% assign n = event.data | default: 0 | times: 1 %}
{% if n < 5 %}
  {% for i in (0..n) %}
    {% action "event", topic: "user/fan/out", data: n | plus: 1, task_id: task.id %}
  {% endfor %}
{% else %}
  {% action "echo", event_data: event.data, parent_event_data: event.parent.data %}
{% endif %}
"""


def test_50_fan_out_makes_154_events(bench) -> None:
    task = make_task(bench, FAN_OUT, ["mechanic/user/trigger", "user/fan/out"], name="fan out")
    bystander = make_task(bench, "{% log 'not me' %}", "user/fan/out", name="bystander")
    bench.emit_event("mechanic/user/trigger", None, task_id=task.id)
    bench.worker.run_until_idle(max_runs=5000)
    assert len(bench.list_events(limit=None)) == 154
    assert [len([e for e in events_of(bench, "user/fan/out") if e.data == n]) for n in range(1, 6)] == \
        [1, 2, 6, 24, 120]
    echoes = [run for run in bench.runs.list(kind=RunKind.ACTION, limit=None)
              if run.details["type"] == "echo"]
    assert len(echoes) == 120
    assert all(run.status is RunStatus.SUCCEEDED for run in bench.runs.list(limit=None))
    assert {(run.result["event_data"], run.result["parent_event_data"]) for run in echoes} == {(5, 4)}
    assert not bench.runs.list(task_id=bystander.id, limit=None)
