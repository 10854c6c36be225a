"""The date and parse_date filters, with "now" frozen at 2024-03-15T12:30:45-05:00 (America/Chicago).

2024-03-15 is a Friday; US daylight saving time started on Sunday 2024-03-10, so dates before that
print -06:00 and later ones -05:00.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from zoneinfo import ZoneInfo

import pytest
from filtertools import Case
from filtertools import check
from filtertools import make_runtime
from filtertools import render
from liquid.exceptions import FilterArgumentError

CASES = [
    # statements 117-119
    Case("statement 117 tz UTC", '{{ "2000-01-01" | date: tz: "UTC" }}', {}, "2000-01-01T06:00:00Z"),
    Case("statement 117 shop zone", '{{ "2000-01-01" | date }}', {}, "2000-01-01T00:00:00-06:00"),
    Case(
        "statement 118 advance",
        '{{ "2023-01-31" | date: "%F", advance: "1 year 1 month" }}',
        {},
        "2024-02-29",
    ),
    Case(
        "statement 119 parse_date",
        '{{ "01-01-20" | parse_date: "%m-%d-%y" | date: "%Y-%m-%d" }}',
        {},
        "2020-01-01",
    ),
    Case("statement 119 parse_date failure", '{{ "ab-cd-ef" | parse_date: "%m-%d-%y" | json }}', {}, "null"),
    # inputs
    Case("now", '{{ "now" | date }}', {}, "2024-03-15T12:30:45-05:00"),
    Case("today is now", '{{ "today" | date: "%F" }}', {}, "2024-03-15"),
    Case("now plus days", '{{ "now + 5 days" | date }}', {}, "2024-03-20T12:30:45-05:00"),
    Case("now minus weeks across DST", '{{ "now - 5 weeks" | date }}', {}, "2024-02-09T12:30:45-06:00"),
    Case("now minus one year", '{{ "now - 1 year" | date: "%F" }}', {}, "2023-03-15"),
    Case("now minus minutes", '{{ "now - 15 minutes" | date: "%H:%M" }}', {}, "12:15"),
    Case("now epoch", '{{ "now" | date: "%s" }}', {}, "1710523845"),
    Case("epoch integer", '{{ 0 | date: "%F %T", tz: "UTC" }}', {}, "1970-01-01 00:00:00"),
    Case("epoch string", '{{ "1577836800" | date }}', {}, "2019-12-31T18:00:00-06:00"),
    Case("epoch arithmetic chain", '{{ "now" | date: "%s" | plus: 86400 | date: "%F" }}', {}, "2024-03-16"),
    Case("iso with offset", '{{ "2020-06-01T12:00:00Z" | date }}', {}, "2020-06-01T07:00:00-05:00"),
    Case("loose date string", '{{ "June 1, 2020 3pm" | date: "%F %H" }}', {}, "2020-06-01 15"),
    Case("python date", "{{ d | date }}", {"d": dt.date(2024, 1, 2)}, "2024-01-02T00:00:00-06:00"),
    Case(
        "aware datetime",
        "{{ d | date }}",
        {"d": dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC)},
        "2024-07-01T07:00:00-05:00",
    ),
    Case(
        "naive datetime is shop time",
        "{{ d | date }}",
        {"d": dt.datetime(2024, 7, 1, 12)},
        "2024-07-01T12:00:00-05:00",
    ),
    Case("nil", "{{ nope | date | json }}", {}, "null"),
    Case("empty string unchanged", '{{ "" | date: "%F" }}', {}, ""),
    Case("not a date unchanged", '{{ "not a date" | date: "%F" }}', {}, "not a date"),
    # formats
    Case("colon offset", '{{ "2024-07-01T10:00:00" | date: "%FT%T%:z" }}', {}, "2024-07-01T10:00:00-05:00"),
    Case("plain offset", '{{ "2024-07-01T10:00:00" | date: "%FT%H:%M%z" }}', {}, "2024-07-01T10:00-0500"),
    Case("double colon offset", '{{ "2024-07-01" | date: "%::z" }}', {}, "-05:00:00"),
    Case("milliseconds", '{{ "2024-07-01T10:00:00.123456" | date: "%L" }}', {}, "123"),
    Case("nanoseconds", '{{ "2024-07-01T10:00:00.123456" | date: "%N" }}', {}, "123456000"),
    Case("milliseconds since epoch", '{{ 1.5 | date: "%Q" }}', {}, "1500"),
    Case("unpadded flags", '{{ "2024-01-05" | date: "%-d/%-m/%y" }}', {}, "5/1/24"),
    Case("month name and space padded day", '{{ "2024-01-05" | date: "%b %e" }}', {}, "Jan  5"),
    Case("upper case flag", '{{ "2024-01-05" | date: "%^a" }}', {}, "FRI"),
    Case("zone abbreviation", '{{ "2024-01-05" | date: "%Z" }}', {}, "CST"),
    Case("zone abbreviation UTC", '{{ "2024-01-05" | date: "%Z", tz: "UTC" }}', {}, "UTC"),
    Case("literal percent", '{{ "2024-01-05" | date: "100%% %Y" }}', {}, "100% 2024"),
    Case("week day number", '{{ "now" | date: "%w" }}', {}, "5"),
    Case("format from a variable", '{{ "now" | date: f }}', {"f": "%Y"}, "2024"),
    # tz
    Case("tz other zone", '{{ "now" | date: tz: "Europe/London" }}', {}, "2024-03-15T17:30:45+00:00"),
    Case("tz unknown", '{{ "now" | date: tz: "Mars/Olympus" }}', {}, FilterArgumentError),
    # boundaries
    Case("beginning_of_year", '{{ "now" | date: beginning_of_year: true }}', {}, "2024-01-01T00:00:00-06:00"),
    Case("end_of_year", '{{ "now" | date: end_of_year: true }}', {}, "2024-12-31T23:59:59-06:00"),
    Case(
        "beginning_of_quarter",
        '{{ "2024-05-20" | date: "%F", beginning_of_quarter: true }}',
        {},
        "2024-04-01",
    ),
    Case("end_of_quarter", '{{ "now" | date: end_of_quarter: true }}', {}, "2024-03-31T23:59:59-05:00"),
    Case(
        "beginning_of_month",
        '{{ "now" | date: beginning_of_month: true }}',
        {},
        "2024-03-01T00:00:00-06:00",
    ),
    Case(
        "end_of_month leap",
        '{{ "2024-02-10" | date: "%F %T", end_of_month: true }}',
        {},
        "2024-02-29 23:59:59",
    ),
    Case(
        "end_of_month keeps microseconds",
        '{{ "now" | date: "%T.%L", end_of_month: true }}',
        {},
        "23:59:59.999",
    ),
    Case(
        "beginning_of_week monday",
        '{{ "now" | date: beginning_of_week: "monday" }}',
        {},
        "2024-03-11T00:00:00-05:00",
    ),
    Case("beginning_of_week true", '{{ "now" | date: "%F", beginning_of_week: true }}', {}, "2024-03-11"),
    Case(
        "beginning_of_week sunday",
        '{{ "now" | date: beginning_of_week: "sunday" }}',
        {},
        "2024-03-10T00:00:00-06:00",
    ),
    Case(
        "end_of_week sunday start",
        '{{ "now" | date: "%F %T", end_of_week: "sunday" }}',
        {},
        "2024-03-16 23:59:59",
    ),
    Case("end_of_week default", '{{ "now" | date: "%F %A", end_of_week: true }}', {}, "2024-03-17 Sunday"),
    Case(
        "beginning_of_week bad day",
        '{{ "now" | date: beginning_of_week: "funday" }}',
        {},
        FilterArgumentError,
    ),
    Case("beginning_of_day", '{{ "now" | date: beginning_of_day: true }}', {}, "2024-03-15T00:00:00-05:00"),
    Case("middle_of_day", '{{ "now" | date: middle_of_day: true }}', {}, "2024-03-15T12:00:00-05:00"),
    Case("end_of_day", '{{ "now" | date: end_of_day: true }}', {}, "2024-03-15T23:59:59-05:00"),
    Case("false option is ignored", '{{ "now" | date: "%T", beginning_of_day: false }}', {}, "12:30:45"),
    # order of application
    Case(
        "boundary then advance",
        '{{ "now" | date: "%T", beginning_of_day: true, advance: "1 hour" }}',
        {},
        "01:00:00",
    ),
    Case(
        "listed order wins over written order",
        '{{ "now" | date: "%T", advance: "1 hour", beginning_of_day: true }}',
        {},
        "01:00:00",
    ),
    Case(
        "tz before boundary",
        '{{ "2000-01-01" | date: tz: "UTC", beginning_of_day: true }}',
        {},
        "2000-01-01T00:00:00Z",
    ),
    Case(
        "month before day",
        '{{ "now" | date: "%F %T", end_of_day: true, beginning_of_month: true }}',
        {},
        "2024-03-01 23:59:59",
    ),
    # advance
    Case("advance clamps month end", '{{ "2023-01-31" | date: "%F", advance: "1 month" }}', {}, "2023-02-28"),
    Case(
        "advance left to right",
        '{{ "2024-01-31" | date: "%F", advance: "1 month, -1 month" }}',
        {},
        "2024-01-29",
    ),
    Case(
        "advance negative and commas",
        '{{ "2024-03-15" | date: "%F %H", advance: "-1 day, 2 hours" }}',
        {},
        "2024-03-14 02",
    ),
    Case(
        "advance singular and plural",
        '{{ "2024-01-01" | date: "%F", advance: "2 week 1 days" }}',
        {},
        "2024-01-16",
    ),
    Case(
        "advance seconds and minutes",
        '{{ "2024-01-01" | date: "%T", advance: "90 seconds 1 minute" }}',
        {},
        "00:02:30",
    ),
    Case(
        "advance calendar day across DST",
        '{{ "2024-03-09T12:00:00" | date: advance: "1 day" }}',
        {},
        "2024-03-10T12:00:00-05:00",
    ),
    Case(
        "advance hours across DST",
        '{{ "2024-03-09T12:00:00" | date: advance: "24 hours" }}',
        {},
        "2024-03-10T13:00:00-05:00",
    ),
    Case(
        "advance from variable",
        '{{ "2024-01-01" | date: "%F", advance: a }}',
        {"a": "+3 days"},
        "2024-01-04",
    ),
    Case("advance nonsense", '{{ "now" | date: advance: "soon" }}', {}, FilterArgumentError),
    Case("advance trailing junk", '{{ "now" | date: advance: "1 day later" }}', {}, FilterArgumentError),
    Case("advance empty", '{{ "now" | date: advance: "" }}', {}, FilterArgumentError),
    Case("now with bad phrase", '{{ "now + soon" | date }}', {}, FilterArgumentError),
    Case("unknown option", '{{ "now" | date: beginning_of_decade: true }}', {}, FilterArgumentError),
    # parse_date
    Case(
        "parse_date with time",
        '{{ "2020-05-01 10:00" | parse_date: "%Y-%m-%d %H:%M" }}',
        {},
        "2020-05-01T10:00:00-05:00",
    ),
    Case(
        "parse_date with offset",
        '{{ "2020-05-01T10:00:00+0000" | parse_date: "%Y-%m-%dT%H:%M:%S%z" }}',
        {},
        "2020-05-01T05:00:00-05:00",
    ),
    Case(
        "parse_date ruby shorthand",
        '{{ "2020-05-01" | parse_date: "%F" }}',
        {},
        "2020-05-01T00:00:00-05:00",
    ),
    Case("parse_date unpadded", '{{ "5/1/2020" | parse_date: "%-m/%-d/%Y" | date: "%F" }}', {}, "2020-05-01"),
    Case("parse_date epoch", '{{ "0" | parse_date: "%s" }}', {}, "1969-12-31T18:00:00-06:00"),
    Case("parse_date nil", '{{ nope | parse_date: "%F" | json }}', {}, "null"),
    Case("parse_date trailing text", '{{ "2020-05-01x" | parse_date: "%F" | json }}', {}, "null"),
    Case("parse_date without format", '{{ "2020-05-01" | parse_date }}', {}, FilterArgumentError),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_date_filters(case: Case) -> None:
    check(case)


def test_utc_shop_prints_z() -> None:
    runtime = make_runtime(timezone=ZoneInfo("UTC"))
    assert render('{{ "2000-01-01" | date }}', runtime=runtime) == "2000-01-01T00:00:00Z"


def test_zero_offset_zone_is_not_z() -> None:
    runtime = make_runtime(timezone=ZoneInfo("Europe/London"))
    assert render('{{ "2000-01-01" | date }}', runtime=runtime) == "2000-01-01T00:00:00+00:00"


def test_now_follows_the_runtime_clock() -> None:
    runtime = make_runtime(now=dt.datetime(2030, 1, 1, 6, tzinfo=dt.UTC))
    assert render('{{ "now" | date }}', runtime=runtime) == "2030-01-01T00:00:00-06:00"
