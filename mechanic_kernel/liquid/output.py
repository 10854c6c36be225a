"""Reading a task's rendered text: a stream of ``{"action"|"log"|"error": …}`` JSON objects (spec §1.8).

Objects a script writes as plain text count the same as those the tags write. Whitespace between objects is
ignored; anything else is an error naming the text and where it is (spec Appendix B leaves stray text open;
see docs/decisions.md, "Liquid dialect").
"""

from __future__ import annotations

import json
import re
from typing import Any

OBJECT_KEYS = ("action", "log", "error")

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r\ufeff"
_SKIP_WHITESPACE = re.compile(f"[{_WHITESPACE}]*")


class OutputError(ValueError):
    """The rendered text is not a stream of Mechanic objects.

    Attributes:
        message: what is wrong, quoting up to 80 characters of the offending text.
        line: the 1-based line of the rendered output where the problem starts.
        position: the 0-based character offset in the rendered output.
        objects: the objects read before the problem.
    """

    def __init__(self, message: str, line: int, position: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.position = position
        self.objects: list[tuple[str, Any]] = []


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _snippet(text: str, position: int) -> str:
    snippet = text[position : position + 80]
    return snippet + ("…" if len(text) > position + 80 else "")


def parse_output(text: str) -> list[tuple[str, Any]]:
    """Split rendered text into ``(key, value)`` pairs, in order.

    Args:
        text: the rendered output of a task script.

    Returns:
        One ``(key, value)`` per object, ``key`` being ``"action"``, ``"log"`` or ``"error"``.

    Raises:
        OutputError: the text holds something other than whitespace and such objects.
    """
    objects: list[tuple[str, Any]] = []
    try:
        _read(text, objects)
    except OutputError as err:
        err.objects = objects
        raise
    return objects


def _read(text: str, objects: list[tuple[str, Any]]) -> None:
    # Outputs are mostly whitespace around the objects: skip it with a regex, not character by character,
    # and count lines only when reporting an error.
    skip = _SKIP_WHITESPACE.match
    position = 0
    end = len(text)
    while True:
        position = skip(text, position).end()
        if position >= end:
            return
        if text[position] != "{":
            line = _line_of(text, position)
            raise OutputError(
                f"unexpected text in the task output at line {line}: {_snippet(text, position)!r} "
                "(task output must be JSON objects, as written by the action, log and error tags)",
                line,
                position,
            )
        try:
            value, stop = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as err:
            line = _line_of(text, position)
            raise OutputError(
                f"invalid JSON in the task output at line {line} ({err.msg}): {_snippet(text, position)!r}",
                line,
                position,
            ) from None
        if type(value) is not dict or len(value) != 1 or next(iter(value)) not in OBJECT_KEYS:
            line = _line_of(text, position)
            raise OutputError(
                f"unexpected JSON object in the task output at line {line}: {_snippet(text, position)!r} "
                '(each object must have exactly one key, "action", "log" or "error")',
                line,
                position,
            )
        objects.append(next(iter(value.items())))
        position = stop
