"""Options: discovery order, every flag, validation messages, typed values (spec §1.6, statement 133)."""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pytest

from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.tasks import options as opts


def test_discovery_is_in_order_of_first_reference() -> None:
    # Statement 133: form order = first `options.` reference.
    script = (
        "{% comment %}{{ options.b__number }}{% endcomment %}{{ options.a }}{{ options.b__number }}"
        "{{ options.c__boolean | json }}"
    )
    assert opts.discover(script) == ["b__number", "a", "c__boolean"]


def test_discovery_spans_script_then_subscriptions_then_javascript() -> None:
    keys = opts.discover("{{ options.s }}", "user/a/b+{{ options.t__number }}.days", "x = {{ options.j }}")
    assert keys == ["s", "t__number", "j"]


def test_discovery_ignores_other_objects_with_an_options_key() -> None:
    assert opts.discover("{{ event.data.options.x }}{{ my_options.y }}{{ options.z }}") == ["z"]


@dataclass
class FlagCase:
    """An option key and the field attributes it must produce."""

    description: str
    key: str
    expect: dict[str, Any]
    problems: list[str] = field(default_factory=list)


FLAG_CASES = [
    FlagCase(
        "plain text", "email_subject", {"type": "text", "name": "email_subject", "label": "Email subject"}
    ),
    FlagCase("required", "tag__required", {"type": "text", "required": True}),
    FlagCase("number", "days__number", {"type": "number"}),
    FlagCase("number then required", "days__number_required", {"type": "number", "required": True}),
    FlagCase("required then number", "days__required_number", {"type": "number", "required": True}),
    FlagCase("boolean", "on__boolean", {"type": "boolean"}),
    FlagCase(
        "multiline", "body__multiline_required", {"type": "multiline", "multiline": True, "required": True}
    ),
    FlagCase("code", "html__code_multiline_required", {"type": "code", "multiline": True}),
    FlagCase("email", "to__email_required", {"type": "text", "email": True, "required": True}),
    FlagCase("array", "tags__array", {"type": "array", "item_type": "text"}),
    FlagCase("array of numbers", "ids__array_number", {"type": "array", "item_type": "number"}),
    FlagCase("number array", "ids__number_array", {"type": "array", "item_type": "number"}),
    FlagCase(
        "array of emails", "to__email_array_required", {"type": "array", "item_type": "email", "email": True}
    ),
    FlagCase("keyval", "map__keyval", {"type": "keyval", "item_type": "text"}),
    FlagCase("keyval of numbers", "map__keyval_number_required", {"type": "keyval", "item_type": "number"}),
    FlagCase(
        "keyval multiline",
        "map__keyval_multiline",
        {"type": "keyval", "item_type": "multiline", "multiline": True},
    ),
    FlagCase("date", "when__date", {"type": "date"}),
    FlagCase(
        "datetime future only", "at__datetime_futureonly_required", {"type": "datetime", "futureonly": True}
    ),
    FlagCase("time", "at__time", {"type": "time"}),
    FlagCase("color", "bg__color", {"type": "color"}),
    FlagCase(
        "range",
        "hours__range_min0_max23_required",
        {"type": "range", "min": 0, "max": 23, "step": 1, "required": True},
    ),
    FlagCase("range with step", "pct__range_min0_max100_step5", {"type": "range", "step": 5}),
    FlagCase("range without max", "pct__range_min0", {"type": "range"}, ["a range needs both min and max"]),
    FlagCase("select", "mode__select_o1_a_o2_b", {"type": "select", "choices": ["a", "b"]}),
    FlagCase(
        "select with underscores in values",
        "freq__select_o1_10min_o2_every_day_required",
        {"type": "select", "choices": ["10min", "every_day"], "required": True},
    ),
    FlagCase(
        "choice with modifier segments",
        "pick__choice_o1_x_o2_y__userform__required",
        {"type": "choice", "choices": ["x", "y"], "userform": True, "required": True},
    ),
    FlagCase(
        "multiselect",
        "fields__multiselect_o1_name_o2_phone_required",
        {"type": "multiselect", "choices": ["name", "phone"], "required": True},
    ),
    FlagCase(
        "multiselect choices in the next segment",
        "days__multiselect__o1_monday_o2_tuesday",
        {"type": "multiselect", "choices": ["monday", "tuesday"]},
    ),
    FlagCase(
        "choice values named like flags",
        "src__select_o1_global_o2_secret",
        {"type": "select", "choices": ["global", "secret"]},
    ),
    FlagCase(
        "picker", "coll__picker_collection", {"type": "picker", "resource": "collection", "many": False}
    ),
    FlagCase(
        "picker array required",
        "coll__picker_collection_array_required",
        {"type": "picker", "resource": "collection", "many": True, "required": True},
    ),
    FlagCase(
        "picker of an unknown resource",
        "x__picker_order",
        {"type": "picker"},
        ["a picker needs product, variant or collection"],
    ),
    FlagCase("userform", "date__date_userform", {"type": "date", "userform": True, "name": "date"}),
    FlagCase("global", "token__global", {"type": "global"}),
    FlagCase("secret", "token__secret", {"type": "secret"}),
    FlagCase(
        "secret cannot be a user-form field",
        "token__secret_userform",
        {"type": "secret"},
        ["a secret option cannot be a user-form field"],
    ),
    FlagCase("unknown flag", "x__fancy", {"type": "text"}, ["unknown flag 'fancy'"]),
    FlagCase(
        "no double underscore: all name",
        "metafield_namespace_required",
        {"type": "text", "required": False, "name": "metafield_namespace_required"},
    ),
]


@pytest.mark.parametrize("case", FLAG_CASES, ids=operator.attrgetter("description"))
def test_parse_key(case: FlagCase) -> None:
    option = opts.parse_key(case.key)
    for attribute, value in case.expect.items():
        assert getattr(option, attribute) == value, attribute
    for expected, actual in zip(case.problems, option.problems, strict=True):
        assert expected in actual


def test_schema_is_json_serialisable() -> None:
    fields = opts.schema(["a__select_o1_x_o2_y", "b__range_min0_max5", "c__keyval_number"])
    decoded = json.loads(json.dumps([option.to_dict() for option in fields]))
    assert decoded[0]["choices"] == ["x", "y"]
    assert decoded[1]["max"] == 5


@dataclass
class ValidationCase:
    """An option key, a value, and the error expected (None when valid)."""

    description: str
    key: str
    value: Any
    error: str | None = None


VALIDATION_CASES = [
    ValidationCase("required empty", "to__required", "", "option 'To' (to__required) is required"),
    ValidationCase("required whitespace", "to__required", "  ", "is required"),
    ValidationCase("required null", "to__required", None, "is required"),
    ValidationCase("required empty list", "tags__array_required", [], "is required"),
    ValidationCase("required filled", "to__required", "x"),
    ValidationCase("optional empty", "to", None),
    ValidationCase("number", "n__number", 3),
    ValidationCase("number as text", "n__number", "3.5"),
    ValidationCase("not a number", "n__number", "three", "must be a number"),
    ValidationCase("boolean", "b__boolean", False),
    ValidationCase("not a boolean", "b__boolean", "yes", "must be true or false"),
    ValidationCase("select value", "m__select_o1_a_o2_b", "b"),
    ValidationCase("select unknown value", "m__select_o1_a_o2_b", "c", "must be one of a, b"),
    ValidationCase("multiselect", "m__multiselect_o1_a_o2_b", ["a", "b"]),
    ValidationCase("multiselect unknown", "m__multiselect_o1_a_o2_b", ["z"], "z not among a, b"),
    ValidationCase("email", "to__email", "someone@example.com"),
    ValidationCase("bad email", "to__email", "someone", "must be an e-mail address"),
    ValidationCase("bad email in array", "to__email_array", ["a@example.com", "nope"], "got 'nope'"),
    ValidationCase("range in bounds", "h__range_min0_max23", 23),
    ValidationCase("range out of bounds", "h__range_min0_max23", 24, "must be between 0 and 23"),
    ValidationCase("keyval of numbers", "k__keyval_number", {"a": "1", "b": 2}),
    ValidationCase(
        "keyval with a non-number", "k__keyval_number", {"a": "x"}, "every value must be a number"
    ),
    ValidationCase("keyval not a hash", "k__keyval", ["a"], "key/value pairs"),
    ValidationCase("array not a list", "a__array", "x", "must be a list"),
    ValidationCase("date", "d__date", "2026-01-31"),
    ValidationCase("bad date", "d__date", "31/01/2026", "YYYY-MM-DD"),
    ValidationCase("datetime with seconds", "d__datetime", "2031-04-22T15:13:00"),
    ValidationCase("time", "t__time", "09:30"),
    ValidationCase("colour", "c__color", "#ff00AA"),
    ValidationCase("bad colour", "c__color", "red", "#RRGGBB"),
    ValidationCase("key problem", "r__range_min0", 1, "a range needs both min and max"),
]


@pytest.mark.parametrize("case", VALIDATION_CASES, ids=operator.attrgetter("description"))
def test_validate(case: ValidationCase) -> None:
    errors = opts.validate(opts.schema([case.key]), {case.key: case.value})
    if case.error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and case.error in errors[0], errors
        assert case.key in errors[0]


def test_check_raises_with_every_problem() -> None:
    fields = opts.schema(["a__required", "b__number"])
    with pytest.raises(InvalidInput, match=r"a__required.*b__number"):
        opts.check(fields, {"a": None, "b__number": "x"})


def test_typed_values_turn_text_numbers_into_numbers() -> None:
    # Statement 133: `__number` returns a number even when stored as text (as library exports do).
    fields = opts.schema(["n__number", "b__boolean", "k__keyval_number", "a__array_number", "t"])
    typed = opts.typed_values(
        fields,
        {
            "n__number": "10",
            "b__boolean": "true",
            "k__keyval_number": {"x": "7"},
            "a__array_number": ["1", "2.5"],
            "t": "10",
        },
    )
    assert typed == {
        "n__number": 10,
        "b__boolean": True,
        "k__keyval_number": {"x": 7},
        "a__array_number": [1, 2.5],
        "t": "10",
    }


@pytest.mark.parametrize(
    "key",
    [
        "n__number_required",
        "k__keyval_required",
        "a__array_required",
        "e__email_required",
        "s__select_o1_a_required",
        "p__picker_product_array_required",
        "r__range_min3_max9_required",
        "d__date_required",
        "m__multiline_required",
    ],
)
def test_fill_required_gives_valid_values(key: str) -> None:
    fields = opts.schema([key])
    filled = opts.fill_required(fields, {key: None})
    assert opts.validate(fields, filled) == []


@pytest.mark.parametrize(
    ("key", "text", "expect"),
    [
        ("n__number", "5", 5),
        ("b__boolean", "true", True),
        ("b__boolean", "off", False),
        ("a__array", "x\n\ny\n", ["x", "y"]),
        ("t", "5", "5"),
    ],
)
def test_coerce_text_input(key: str, text: str, expect: Any) -> None:
    assert opts.coerce(opts.parse_key(key), text) == expect
