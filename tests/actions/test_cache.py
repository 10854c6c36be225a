"""The cache action and the cache it writes (spec §4.3, §6; statements 82–89)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from runbench import actions_of
from runbench import fire
from runbench import logs_of
from runbench import make_task
from runbench import open_bench

from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.cache import ACTION
from mechanic_kernel.actions.cache import MAX_TTL
from mechanic_kernel.actions.cache import MAX_VALUE_BYTES
from mechanic_kernel.actions.cache import parse_command
from mechanic_kernel.clock import parse_iso
from mechanic_kernel.models.runs import RunStatus


@pytest.fixture
def bench(tmp_path, store_url) -> Iterator:
    workbench = open_bench(tmp_path, store_url)
    yield workbench
    workbench.close()


def run_cache(bench, *commands: str) -> list:
    """Render one task with the given action tags, perform it, return its action runs."""
    task = make_task(bench, "".join(commands), name=f"cache {len(bench.tasks.list())}")
    event = fire(bench)
    bench.tasks.disable(task.id)
    return actions_of(bench, event.id)


def test_82_set_then_read_in_a_later_run(bench) -> None:
    (action,) = run_cache(bench, '{% action "cache", "set", "foo", 5 %}')
    assert action.status is RunStatus.SUCCEEDED and action.result == "OK"
    make_task(bench, "{% log cache.foo %}{% log cache['foo'] %}", name="reader")
    assert logs_of(bench, fire(bench).id) == [5, 5]
    assert bench.cache.get("foo") == 5


def test_83_incr_incrby_decr_on_missing_keys(bench) -> None:
    actions = run_cache(bench, '{% action "cache", "incr", "n" %}', '{% action "cache", "incrby", "n", 5 %}',
                        '{% action "cache", "decr", "m" %}', '{% action "cache", "decrby", "m", 3 %}')
    assert [action.result for action in actions] == [1, 6, -1, -4]
    assert bench.cache.get("n") == 6 and bench.cache.get("m") == -4


def test_84_setex_expires_after_its_ttl(bench, tmp_path) -> None:
    run_cache(bench, '{% action "cache", "setex", "k", 1, "v" %}')
    make_task(bench, "{% log cache.k %}", name="reader")
    assert logs_of(bench, fire(bench).id) == ["v"]
    bench.clock.advance(seconds=1)
    assert logs_of(bench, fire(bench).id) == [None]
    assert bench.cache.get("k") is None


def test_85_every_command_resets_the_ttl_set_defaults_to_60_days(bench) -> None:
    run_cache(bench, '{% action "cache", "setex", "k", 10, 1 %}')
    assert parse_iso(bench.cache.expires_at("k")) - bench.clock.now() == dt.timedelta(seconds=10)
    run_cache(bench, '{% action "cache", "incr", "k" %}')
    assert parse_iso(bench.cache.expires_at("k")) - bench.clock.now() == dt.timedelta(seconds=MAX_TTL)
    run_cache(bench, '{% action "cache", "set", "k", 1 %}')
    assert parse_iso(bench.cache.expires_at("k")) - bench.clock.now() == dt.timedelta(seconds=5_184_000)
    run_cache(bench, '{% action "cache" %}{"incrby": {"key": "k", "increment": 2, "ttl": 60}}{% endaction %}')
    assert parse_iso(bench.cache.expires_at("k")) - bench.clock.now() == dt.timedelta(seconds=60)
    assert bench.cache.get("k") == 3


def test_86_key_rules(bench) -> None:
    bad, good = run_cache(bench, '{% action "cache", "set", "bad key!", 1 %}',
                          '{% action "cache", "set", "a-b_c:d.e/f", 1 %}')
    assert bad.status is RunStatus.FAILED and "invalid cache key" in bad.error
    assert good.status is RunStatus.SUCCEEDED and bench.cache.get("a-b_c:d.e/f") == 1
    assert parse_command(["set", "UPPER:Case", 1])[1] == "UPPER:Case"


def test_87_values_over_256_kb_fail(bench) -> None:
    with pytest.raises(ActionError, match="limit is 262144"):
        parse_command(["set", "big", "x" * MAX_VALUE_BYTES])
    parse_command(["set", "fits", "x" * (MAX_VALUE_BYTES - 2)])
    (action,) = run_cache(bench, '{% capture big %}{% for i in (1..27000) %}0123456789{% endfor %}'
                                 '{% endcapture %}'
                                 '{% action "cache", "set", "big", big %}')
    assert action.status is RunStatus.FAILED and "bytes of JSON" in action.error


def test_88_preview_sees_no_cache(bench) -> None:
    run_cache(bench, '{% action "cache", "set", "foo", 5 %}')
    task = make_task(bench, "{% log cache.foo %}", name="p")
    (preview,) = bench.tasks.preview(task.id)["previews"]
    assert preview["logs"] == [None]
    assert logs_of(bench, fire(bench).id) == [5]


def test_89_for_loop_over_the_cache(bench) -> None:
    run_cache(bench, '{% action "cache", "set", "a", 1 %}{% action "cache", "set", "b", "two" %}')
    make_task(bench, "{% for kv in cache %}{% log kv %}{% endfor %}{% log cache.size %}", name="loop")
    assert logs_of(bench, fire(bench).id) == [["a", 1], ["b", "two"], 2]


def test_del_returns_how_many_keys_went(bench) -> None:
    run_cache(bench, '{% action "cache", "set", "gone", 1 %}')
    removed, missing = run_cache(bench, '{% action "cache", "del", "gone" %}',
                                 '{% action "cache", "del", "gone" %}')
    assert (removed.result, missing.result) == (1, 0) and bench.cache.get("gone") is None


@pytest.mark.parametrize(("options", "expect"), [
    (["set", "k", {"a": [1]}], ("set", "k", {"value": {"a": [1]}})),
    (["setex", "k", 30, None], ("setex", "k", {"ttl": 30, "value": None})),
    (["del", "k"], ("del", "k", {})),
    (["INCRBY", "k", -2], ("incrby", "k", {"increment": -2})),
    ({"set": {"key": "k", "value": 1, "ttl": 9}}, ("set", "k", {"value": 1, "ttl": 9})),
    ({"decrby": {"key": "k", "decrement": 4}}, ("decrby", "k", {"decrement": 4})),
    (["setex", "k", 10**9, 1], ("setex", "k", {"ttl": MAX_TTL, "value": 1})),
])
def test_parse_command_forms(options, expect) -> None:
    assert parse_command(options) == expect


@pytest.mark.parametrize(("options", "message"), [
    ([], "must start with a command"),
    (["get", "k"], "unknown cache command"),
    (["set", "k"], "takes 2 argument"),
    (["incrby", "k", 1.5], "whole number"),
    (["setex", "k", 0, 1], "positive number"),
    ({"set": {"value": 1}}, "verbose"),
    ({"set": {"key": "k"}}, "missing value"),
    ({"incr": {"key": "k", "by": 2}}, "unknown option"),
    ("set k 1", "cache options are"),
])
def test_bad_options(options, message) -> None:
    with pytest.raises(ActionError, match=message):
        ACTION.validate(options)


def test_incr_on_a_non_number_fails(bench) -> None:
    run_cache(bench, '{% action "cache", "set", "word", "abc" %}')
    (action,) = run_cache(bench, '{% action "cache", "incr", "word" %}')
    assert action.status is RunStatus.FAILED and "not a whole number" in action.error
    assert bench.cache.get("word") == "abc"


def test_perform_without_a_cache_service(make_context) -> None:
    with pytest.raises(ActionError, match="not available"):
        asyncio.run(ACTION.perform(["set", "k", 1], make_context()))
