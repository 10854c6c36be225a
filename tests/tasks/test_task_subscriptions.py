"""Subscriptions: the line grammar, offsets, run_at and template rendering (spec §1.4, statements 41-44)."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

import pytest

from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.tasks import subscriptions as subs
from mechanic_kernel.tasks.subscriptions import Offset
from mechanic_kernel.tasks.subscriptions import Subscription

UTC = dt.UTC


@dataclass
class Case:
    """One subscription line and what it parses to (or the words of the error)."""

    description: str
    line: str
    topic: str | None = None
    offset: Offset | None = None
    error: str | None = None


PARSE_CASES = [
    Case("bare topic", "shopify/orders/create", "shopify/orders/create"),
    Case("surrounding whitespace", "   user/a/b  \t", "user/a/b"),
    *[
        Case(f"unit {unit}", f"user/a/b+2.{unit}", "user/a/b", Offset(2, unit))
        for unit in ("seconds", "minutes", "hours", "days", "weeks", "months", "years")
    ],
    *[
        Case(f"singular {unit}", f"user/a/b+1.{unit}", "user/a/b", Offset(1, unit + "s"))
        for unit in ("second", "minute", "hour", "day", "week", "month", "year")
    ],
    Case(
        "large offset", "mechanic/scheduler/daily+100.hours", "mechanic/scheduler/daily", Offset(100, "hours")
    ),
    Case("zero offset", "shopify/orders/create+0.minutes", "shopify/orders/create", Offset(0, "minutes")),
    Case("negative offset", "user/a/b+-1.days", error="cannot be negative"),
    Case("fractional offset", "user/a/b+1.5.days", error="whole numbers"),
    Case("empty amount", "user/a/b+.days", error="amount is missing"),
    Case("unknown unit", "user/a/b+1.fortnights", error="unknown unit 'fortnights'"),
    Case("no unit", "user/a/b+1", error=r"expected topic\+N\.unit after the \+"),
    Case("capitalised unit", "user/a/b+1.Days", error="unknown unit"),
    Case("space inside", "user/a/b + 1.day", error="invalid topic"),
    Case("two parts", "user/a", error="invalid topic 'user/a'"),
    Case("four parts", "user/a/b/c", error="invalid topic"),
    Case("upper case topic", "User/A/b", error="invalid topic"),
    Case("word amount", "user/a/b+one.day", error="not a whole number"),
]


@pytest.mark.parametrize("case", PARSE_CASES, ids=operator.attrgetter("description"))
def test_parse_line(case: Case) -> None:
    if case.error:
        with pytest.raises(InvalidInput, match=case.error):
            subs.parse_line(case.line)
        return
    subscription = subs.parse_line(case.line)
    assert subscription.topic == case.topic
    assert subscription.offset == case.offset
    assert str(subscription) == case.line.strip()


def test_blank_lines_and_indentation_are_ignored() -> None:
    # Statement 41.
    text = "\n  shopify/orders/create\n\n\t  user/a/b+1.day  \n   \n"
    assert [str(sub) for sub in subs.parse(text)] == ["shopify/orders/create", "user/a/b+1.day"]


def test_error_names_the_line_number() -> None:
    with pytest.raises(InvalidInput, match=r"subscription line 3 'bad'"):
        subs.parse("user/a/b\n\nbad\n")


def test_repeated_lines_are_kept_in_the_list() -> None:
    assert [str(sub) for sub in subs.parse("user/a/b\nuser/a/b")] == ["user/a/b", "user/a/b"]


@dataclass
class RunAtCase:
    """A line, a base moment and when its task run is due."""

    description: str
    line: str
    base: dt.datetime
    expect: dt.datetime


BASE = dt.datetime(2024, 1, 31, 9, 0, tzinfo=UTC)
RUN_AT_CASES = [
    RunAtCase("no offset", "user/a/b", BASE, BASE),
    RunAtCase("seconds", "user/a/b+30.seconds", BASE, BASE + dt.timedelta(seconds=30)),
    RunAtCase("minutes", "user/a/b+90.minutes", BASE, BASE + dt.timedelta(minutes=90)),
    RunAtCase("hours", "user/a/b+1.hour", BASE, BASE + dt.timedelta(hours=1)),
    RunAtCase("days", "user/a/b+2.days", BASE, dt.datetime(2024, 2, 2, 9, tzinfo=UTC)),
    RunAtCase("weeks", "user/a/b+1.week", BASE, dt.datetime(2024, 2, 7, 9, tzinfo=UTC)),
    RunAtCase(
        "month clamps to the leap day", "user/a/b+1.month", BASE, dt.datetime(2024, 2, 29, 9, tzinfo=UTC)
    ),
    RunAtCase("months", "user/a/b+3.months", BASE, dt.datetime(2024, 4, 30, 9, tzinfo=UTC)),
    RunAtCase(
        "year from a leap day",
        "user/a/b+1.year",
        dt.datetime(2024, 2, 29, tzinfo=UTC),
        dt.datetime(2025, 2, 28, tzinfo=UTC),
    ),
    RunAtCase(
        "spec example: daily+10.hours",
        "mechanic/scheduler/daily+10.hours",
        dt.datetime(2024, 1, 2, 0, 0, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 10, 0, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("case", RUN_AT_CASES, ids=operator.attrgetter("description"))
def test_run_at(case: RunAtCase) -> None:
    assert subs.parse_line(case.line).run_at(case.base) == case.expect


def test_subscription_defaults() -> None:
    assert Subscription("user/a/b").run_at(BASE) == BASE
    assert str(Subscription("user/a/b", Offset(2, "days"))) == "user/a/b+2.days"


@dataclass
class TemplateCase:
    """A subscriptions template, options, and the rendered lines."""

    description: str
    template: str
    options: dict
    expect: list[str]


TEMPLATE_CASES = [
    TemplateCase(
        "statement 42: false option",
        "{% if options.x__boolean %}user/a/b{% endif %}",
        {"x__boolean": False},
        [],
    ),
    TemplateCase(
        "statement 42: true option",
        "{% if options.x__boolean %}user/a/b{% endif %}",
        {"x__boolean": True},
        ["user/a/b"],
    ),
    TemplateCase(
        "statement 43: number offset",
        "user/a/b+{{ options.days__number }}.days",
        {"days__number": 3},
        ["user/a/b+3.days"],
    ),
    TemplateCase(
        "optional offset",
        "shopify/customers/create{% if options.wait__boolean %}+1.hour{% endif %}",
        {"wait__boolean": True},
        ["shopify/customers/create+1.hour"],
    ),
    TemplateCase(
        "nil counts as blank",
        "{% if options.x != blank %}user/a/b{% endif %}\nuser/c/d",
        {"x": None},
        ["user/c/d"],
    ),
    TemplateCase("shop is visible", "user/{{ shop.currency | downcase }}/b", {}, ["user/usd/b"]),
    TemplateCase("no event", "user/a/b{{ event.topic }}", {}, ["user/a/b"]),
]


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=operator.attrgetter("description"))
def test_render_template(case: TemplateCase) -> None:
    lines = [str(sub) for sub in subs.render(case.template, case.options, {"currency": "USD"})]
    assert lines == case.expect


def test_render_reports_an_invalid_rendered_line() -> None:
    with pytest.raises(InvalidInput, match="amount is missing"):
        subs.render("user/a/b+{{ options.days__number }}.days", {"days__number": None})


def test_render_reports_a_liquid_error() -> None:
    with pytest.raises(InvalidInput, match="subscriptions template"):
        subs.render("{% if %}", {})


def test_none_template_means_no_subscriptions() -> None:
    assert subs.render(None, {}) == []
