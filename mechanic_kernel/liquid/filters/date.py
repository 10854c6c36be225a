"""Date filters: Mechanic's ``date`` (zones, calendar boundaries, ``advance``) and ``parse_date``.

Times are interpreted and printed in the shop's time zone (``Runtime.timezone``) unless ``tz:`` says
otherwise, and ``"now"`` is the render's frozen ``Runtime.now``, so a render is reproducible.
Formats are Ruby ``strftime`` formats; the few directives Python's ``strftime`` lacks or treats
differently (``%s``, ``%L``, ``%N``, ``%Q``, ``%z`` with colons) are handled here, the rest go to the C
library, which shares Ruby's flags (``%-d``, ``%^b``, ``%e``, ``%P``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta
from liquid.filter import with_context

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_bool
from mechanic_kernel.liquid.filters.arguments import to_text
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext

    from mechanic_kernel.liquid.runtime import Runtime

# The documented option order (spec §5.4): each option is applied in this order, whatever order the
# task writes them in.
DATE_OPTIONS = (
    "tz",
    "beginning_of_year",
    "end_of_year",
    "beginning_of_quarter",
    "end_of_quarter",
    "beginning_of_month",
    "end_of_month",
    "beginning_of_week",
    "end_of_week",
    "beginning_of_day",
    "middle_of_day",
    "end_of_day",
    "advance",
)

_UTC_NAMES = {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NOW = re.compile(r"^(?:now|today)(?:\s*([+-])\s*(.+))?$", re.IGNORECASE | re.DOTALL)
_EPOCH = re.compile(r"^-?\d+(?:\.\d+)?$")
_ADVANCE_PART = re.compile(
    r"\s*,?\s*([+-]?)\s*(\d+)\s*(year|month|week|day|hour|minute|second)s?\b", re.IGNORECASE
)
_DIRECTIVE = re.compile(r"%([-_0^#]*)(\d*)(::z|:z|.)", re.DOTALL)


@with_context
def date(value: object, fmt: object = None, *, context: RenderContext, **options: object) -> Any:
    """Format a time, optionally moved to a zone, snapped to a calendar boundary and advanced.

    Args:
        value: a time, an ISO-8601 or other date string, a Unix timestamp (number or digits),
            ``"now"``, or ``"now + 5 days"`` / ``"now - 1 year"``.
        fmt: a Ruby ``strftime`` format; ISO-8601 (``2000-01-01T00:00:00-06:00``, ``Z`` for UTC) when absent.
        context: the render context (for the clock and the shop's zone).
        **options: ``tz``, ``beginning_of_*``/``end_of_*`` (year, quarter, month, week, day),
            ``middle_of_day`` and ``advance``, applied in that order. A true value switches a boundary
            on; ``beginning_of_week``/``end_of_week`` also take the day the week starts on (Rails
            semantics, default ``"monday"``).

    Returns:
        The formatted string; nil for nil; the input unchanged when it is not a recognisable time
        (as Liquid's ``date`` does).

    Raises:
        FilterArgumentError: an unknown option, time zone, week day or ``advance`` phrase.
    """
    unknown = sorted(set(options) - set(DATE_OPTIONS))
    if unknown:
        expected = ", ".join(DATE_OPTIONS)
        raise argument_error("date", f"unknown option {unknown[0]!r}; expected one of {expected}")
    runtime = runtime_of(context)
    if is_nil(value):
        return None
    moment = to_moment(value, runtime)
    if moment is None:
        return value
    moment = _apply_options(moment, options)
    return strftime(moment, None if is_nil(fmt) else to_text(fmt))


@with_context
def parse_date(value: object, fmt: object = None, *, context: RenderContext) -> str | None:
    """Parse a string with a ``strptime`` format in the shop's zone.

    Args:
        value: the date string.
        fmt: a Ruby ``strptime`` format, e.g. ``"%m-%d-%y"``.
        context: the render context (for the shop's zone).

    Returns:
        The time as an ISO-8601 string, or nil when the string does not match the format.

    Raises:
        FilterArgumentError: no format was given.
    """
    if is_nil(fmt) or not to_text(fmt):
        raise argument_error("parse_date", "a strptime format is required, e.g. parse_date: \"%Y-%m-%d\"")
    if is_nil(value):
        return None
    zone = runtime_of(context).timezone
    text, pattern = to_text(value).strip(), to_text(fmt)
    try:
        if pattern == "%s":
            moment = dt.datetime.fromtimestamp(int(text), dt.UTC)
        else:
            moment = dt.datetime.strptime(text, _strptime_format(pattern))
    except (ValueError, OverflowError):
        return None
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return strftime(moment, None)


def to_moment(value: object, runtime: Runtime) -> dt.datetime | None:
    """``value`` as an aware time in the shop's zone, or None when it is not a time.

    Naive times and date-only strings are wall-clock times in the shop's zone.
    """
    zone = runtime.timezone
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return _from_epoch(value, zone)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    now = _NOW.match(text)
    if now:
        moment = runtime.now.astimezone(zone)
        if now.group(2):
            moment = advance(moment, now.group(2), sign=-1 if now.group(1) == "-" else 1, name="date")
        return moment
    if _EPOCH.match(text):
        return _from_epoch(Decimal(text), zone)
    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            midnight = runtime.now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
            parsed = dateparser.parse(text, default=midnight.replace(tzinfo=None))
        except (ValueError, OverflowError):
            return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def _from_epoch(value: int | float | Decimal, zone: dt.tzinfo) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC).astimezone(zone)
    except (ValueError, OverflowError, OSError):
        return None


def _zone(name: object) -> dt.tzinfo:
    text = to_text(name).strip()
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise argument_error(
            "date", f"unknown time zone {text!r} (use an IANA name like \"America/Chicago\")"
        ) from err


def _week_start(option: str, value: object) -> int:
    if value is True:
        return 0
    day = to_text(value).strip().lower()
    if day not in _WEEKDAYS:
        raise argument_error(
            "date", f"{option} expects a week day such as \"monday\", got {to_text(value)!r}"
        )
    return _WEEKDAYS.index(day)


def _day_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _day_end(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=999999)


def _apply_options(moment: dt.datetime, options: dict[str, object]) -> dt.datetime:
    for option in DATE_OPTIONS:
        value = options.get(option)
        if option == "tz":
            if not is_nil(value):
                moment = moment.astimezone(_zone(value))
            continue
        if option == "advance":
            if not is_nil(value):
                moment = advance(moment, to_text(value), name="date")
            continue
        if not to_bool(value):
            continue
        moment = _snap(moment, option, value)
    return moment


def _snap(moment: dt.datetime, option: str, value: object) -> dt.datetime:
    # Boundaries are wall-clock times in the moment's own zone (the zone after `tz:`), like Rails'
    # TimeWithZone#beginning_of_month; replace() keeps the zone and re-derives the UTC offset.
    edge, _, unit = option.partition("_of_")
    start = edge == "beginning"
    if unit == "year":
        if start:
            return _day_start(moment.replace(month=1, day=1))
        return _day_end(moment.replace(month=12, day=31))
    if unit in ("quarter", "month"):
        first_month = 3 * ((moment.month - 1) // 3) + 1 if unit == "quarter" else moment.month
        first = _day_start(moment.replace(month=first_month, day=1))
        if start:
            return first
        span = 3 if unit == "quarter" else 1
        return _day_end(first + relativedelta(months=span, days=-1))
    if unit == "week":
        first_day = _week_start(option, value)
        first = _day_start(moment - dt.timedelta(days=(moment.weekday() - first_day) % 7))
        return first if start else _day_end(first + dt.timedelta(days=6))
    if edge == "middle":
        return moment.replace(hour=12, minute=0, second=0, microsecond=0)
    return _day_start(moment) if start else _day_end(moment)


def advance(moment: dt.datetime, phrase: str, *, sign: int = 1, name: str = "date") -> dt.datetime:
    """``moment`` moved by a phrase such as ``"1 year, -2 months 3 days"``, left to right.

    Years, months, weeks and days move the calendar (Jan 31 + 1 month = Feb 28/29, and a day is a
    calendar day across a DST change); hours, minutes and seconds are elapsed time.

    Args:
        moment: an aware time.
        phrase: signed amounts with units; commas and plural ``s`` optional.
        sign: -1 to move backwards (``"now - 5 days"``).
        name: the filter name for error messages.

    Raises:
        FilterArgumentError: the phrase is empty or holds anything but amounts and units.
    """
    position, steps = 0, []
    text = phrase.strip()
    while position < len(text):
        part = _ADVANCE_PART.match(text, position)
        if not part:
            raise argument_error(
                name, f"cannot understand advance {phrase!r}: expected e.g. \"1 year 2 months -3 days\""
            )
        amount = int(part.group(2)) * (-1 if part.group(1) == "-" else 1) * sign
        steps.append((amount, part.group(3).lower()))
        position = part.end()
    if not steps:
        raise argument_error(name, f"cannot understand advance {phrase!r}: no amount given")
    zone = moment.tzinfo
    for amount, unit in steps:
        if unit in ("year", "month", "week", "day"):
            moment = moment + relativedelta(**{unit + "s": amount})
        else:
            elapsed = dt.timedelta(**{unit + "s": amount})
            moment = (moment.astimezone(dt.UTC) + elapsed).astimezone(zone)
    return moment


def is_utc(zone: dt.tzinfo | None) -> bool:
    """Whether ``zone`` is UTC itself (printed ``Z``), rather than a zone whose offset happens to be 0."""
    if zone is dt.UTC:
        return True
    return getattr(zone, "key", None) in _UTC_NAMES


def _offset(moment: dt.datetime, colons: int) -> str:
    seconds = int(moment.utcoffset().total_seconds()) if moment.utcoffset() is not None else 0
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if colons == 0:
        return f"{sign}{hours:02d}{minutes:02d}"
    if colons == 1:
        return f"{sign}{hours:02d}:{minutes:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"


def strftime(moment: dt.datetime, fmt: str | None) -> str:
    """Format an aware time with a Ruby ``strftime`` format (ISO-8601 when ``fmt`` is None)."""
    if fmt is None:
        offset = "Z" if is_utc(moment.tzinfo) else _offset(moment, 1)
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + offset
    return _DIRECTIVE.sub(lambda match: _directive(moment, match), fmt)


def _directive(moment: dt.datetime, match: re.Match[str]) -> str:
    flags, width, conversion = match.groups()
    if conversion == "s":
        return str(int(moment.timestamp()))
    if conversion == "Q":
        return str(int(moment.timestamp() * 1000))
    if conversion in ("L", "N"):
        digits = int(width) if width else (3 if conversion == "L" else 9)
        return f"{moment.microsecond:06d}{'0' * max(0, digits - 6)}"[:digits]
    if conversion in ("z", ":z", "::z"):
        return _offset(moment, conversion.count(":"))
    if conversion == "%":
        return "%"
    if conversion == "Z" and is_utc(moment.tzinfo):
        return "UTC"
    return moment.strftime(f"%{flags}{width}{conversion}")


_STRPTIME = {
    "F": "%Y-%m-%d",
    "T": "%H:%M:%S",
    "D": "%m/%d/%y",
    "R": "%H:%M",
    "e": "%d",
    "l": "%I",
    "k": "%H",
    "P": "%p",
    "L": "%f",
    "N": "%f",
    ":z": "%z",
    "::z": "%z",
    "%": "%%",
}


def _strptime_format(fmt: str) -> str:
    # Python's strptime has no flags or widths (it already accepts unpadded numbers), and spells a few
    # Ruby directives differently.
    return _DIRECTIVE.sub(lambda match: _STRPTIME.get(match.group(3), "%" + match.group(3)), fmt)
