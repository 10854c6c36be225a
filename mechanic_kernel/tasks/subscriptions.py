"""Subscriptions: ``topic`` or ``topic+N.unit`` lines, rendered from the task's subscriptions template.

The rules the spec leaves open (§1.4, Appendix B) are decided in docs/decisions.md, "Tasks": the offset
amount is a whole number written with digits only (``+0.days`` is allowed and means no delay; negative and
fractional amounts are refused), nothing may stand between the parts of a line, and a topic is three
lower-case ``[a-z0-9_]`` parts. A line repeated verbatim stays in the list (Mechanic's exports keep such
repeats), but the store routes events by distinct lines, so it causes one task run, not two.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

from ..errors import InvalidInput

TOPIC = re.compile(r"^[a-z0-9_]+/[a-z0-9_]+/[a-z0-9_]+$")
_LINE = re.compile(r"^(?P<topic>[^+]*)(?:\+(?P<offset>.*))?$")
_OFFSET = re.compile(r"^(?P<amount>.*?)\.(?P<unit>[A-Za-z_]+)$")

# Singular and plural spellings of each unit, mapped to the relativedelta keyword.
UNITS: dict[str, str] = {}
for _unit in ("second", "minute", "hour", "day", "week", "month", "year"):
    UNITS[_unit] = UNITS[_unit + "s"] = _unit + "s"


@dataclass(frozen=True)
class Offset:
    """A delay after the event run: ``amount`` of ``unit`` (a plural unit name such as ``days``)."""

    amount: int
    unit: str

    @property
    def delta(self) -> relativedelta:
        """The delay as a calendar-aware ``relativedelta`` (``+1.month`` from Jan 31 is Feb 28/29)."""
        return relativedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        return f"+{self.amount}.{self.unit}"


@dataclass(frozen=True)
class Subscription:
    """One subscription of a task.

    Attributes:
        topic: the topic subscribed to.
        offset: the delay of the task run after the event run, or None for none.
        text: the line as written (``shopify/orders/paid+1.day``), kept so exports round-trip.
    """

    topic: str
    offset: Offset | None = None
    text: str = ""

    def run_at(self, base: dt.datetime) -> dt.datetime:
        """When the task run for an event run performed at ``base`` is due (``base`` plus the offset).

        Months and years are calendar steps (dateutil), so ``+1.month`` from 2024-01-31 is 2024-02-29;
        the other units are exact durations.
        """
        if self.offset is None:
            return base
        return base + self.offset.delta

    def __str__(self) -> str:
        return self.text or (self.topic + (str(self.offset) if self.offset else ""))


def parse_line(line: str, number: int | None = None) -> Subscription:
    """Parse one non-blank subscription line (surrounding whitespace is ignored).

    Args:
        line: ``topic`` or ``topic+N.unit``.
        number: the 1-based line number, for the error message.

    Raises:
        InvalidInput: the line breaks the grammar; the message quotes it and says what to write instead.
    """
    text = line.strip()
    where = f"subscription line {number} {text!r}" if number else f"subscription {text!r}"
    match = _LINE.match(text)
    if match is None:
        raise InvalidInput(f"{where}: expected topic or topic+N.unit, e.g. shopify/orders/paid+2.days")
    topic, offset = match.group("topic"), match.group("offset")
    if not TOPIC.match(topic):
        raise InvalidInput(
            f"{where}: invalid topic {topic!r}: expected domain/subject/verb in lower-case "
            "letters, digits and underscores, e.g. shopify/orders/create"
        )
    if offset is None:
        return Subscription(topic, None, text)
    offset_match = _OFFSET.match(offset)
    if offset_match is None:
        raise InvalidInput(f"{where}: expected topic+N.unit after the +, e.g. shopify/orders/paid+2.days")
    amount, unit = offset_match.group("amount"), offset_match.group("unit")
    if not amount.isascii() or not amount.isdigit():
        if re.fullmatch(r"\s*-\s*\d+(\.\d+)?\s*", amount):
            problem = "offsets cannot be negative"
        elif re.fullmatch(r"\s*\d*\.\d+\s*", amount) or "," in amount:
            problem = "offsets must be whole numbers"
        elif not amount.strip():
            problem = "the amount is missing (an empty option in the template?)"
        else:
            problem = f"{amount!r} is not a whole number"
        raise InvalidInput(f"{where}: {problem}; write +N.unit with N a whole number, e.g. +90.minutes")
    if unit not in UNITS:
        raise InvalidInput(
            f"{where}: unknown unit {unit!r}: expected one of seconds, minutes, hours, days, "
            "weeks, months, years (singular or plural, e.g. +1.day)"
        )
    return Subscription(topic, Offset(int(amount), UNITS[unit]), text)


def parse(text: str) -> list[Subscription]:
    """Parse rendered subscriptions text: one per line, blank lines and indentation ignored.

    Raises:
        InvalidInput: a line breaks the grammar (see :func:`parse_line`).
    """
    return [
        parse_line(line, number) for number, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]


def parse_lines(lines: list[str]) -> list[Subscription]:
    """Parse stored subscriptions (a list of lines, as in task JSON).

    Raises:
        InvalidInput: a line breaks the grammar.
    """
    return parse("\n".join(lines))


def render_template(template: str, options: Mapping[str, Any], shop: Mapping[str, Any] | None = None) -> str:
    """Render a subscriptions template as plain Liquid text with ``options`` and ``shop`` only (spec §5.5).

    Raises:
        InvalidInput: the template is not valid Liquid or fails to render.
    """
    if "{{" not in template and "{%" not in template:
        return template  # most templates are plain lines: no need to render them
    from liquid.exceptions import LiquidError

    from .execute import render_text

    try:
        return render_text(template, {"options": dict(options), "shop": dict(shop or {})})
    except LiquidError as exc:
        raise InvalidInput(f"subscriptions template: {exc}") from None


def render(
    template: str | None,
    options: Mapping[str, Any],
    shop: Mapping[str, Any] | None = None,
) -> list[Subscription]:
    """Render a subscriptions template and parse the result (a None template means no subscriptions).

    Raises:
        InvalidInput: the template fails to render or renders an invalid line.
    """
    if template is None:
        return []
    return parse(render_template(template, options, shop))
