"""Regular-expression filters ``match`` and ``scan``, which take *Ruby* regular expressions.

Task authors write Ruby syntax (Mechanic runs on Ruby), so patterns are translated to Python's ``re``
before compiling: ``(?<name>…)`` → ``(?P<name>…)``, ``\\k<name>`` → ``(?P=name)``, ``\\z`` → ``\\Z``,
``\\Z`` → end or before a final newline, ``\\h``/``\\H`` → hex digit classes, the ``m`` flag (Ruby's
"dot matches newline") → ``s``, and ``^``/``$`` always match at line boundaries as in Ruby.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_text

_HEX = "0-9a-fA-F"
_ESCAPES = {
    "z": r"\Z",
    "Z": r"(?=\n?\Z)",
    "h": f"[{_HEX}]",
    "H": f"[^{_HEX}]",
    "R": r"(?:\r\n|[\n\v\f\r\x85\u2028\u2029])",
}
_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\s",
    "word": r"\w",
    "xdigit": _HEX,
    "punct": r"!-/:-@\[-`{-~",
}
_POSIX = re.compile(r"\[:(\w+):\]")
_FLAG_GROUP = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")


class RegexMatch(str):
    """One match: prints as the matched text and exposes Ruby ``MatchData`` lookups.

    ``m.captures`` (array of groups), ``m.named_captures`` (hash by group name), ``m.pre_match``,
    ``m.post_match`` and ``m["name"]`` (a named group). Integer indexes are not offered: Liquid
    refuses to index strings, and a match is a string.
    """

    captures: list[str | None]
    named_captures: dict[str, str | None]

    def __new__(cls, match: re.Match[str]) -> RegexMatch:
        text = super().__new__(cls, match.group(0))
        text.captures = list(match.groups())
        text.named_captures = match.groupdict()
        text._match = match
        return text

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if key == "captures":
            return self.captures
        if key == "named_captures":
            return self.named_captures
        if key == "pre_match":
            return self._match.string[: self._match.start()]
        if key == "post_match":
            return self._match.string[self._match.end() :]
        if isinstance(key, str) and key in self.named_captures:
            return self.named_captures[key]
        return super().__getitem__(key)


def ruby_to_python(pattern: str) -> str:
    """Translate a Ruby regular expression's syntax to Python's ``re`` syntax."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped == "k" and pattern.startswith("<", index + 2):
                end = pattern.index(">", index + 3)
                out.append(f"(?P={pattern[index + 3 : end]})")
                index = end + 1
                continue
            if escaped == "h" and in_class:
                out.append(_HEX)
            elif escaped in _ESCAPES and not in_class:
                out.append(_ESCAPES[escaped])
            else:
                out.append(char + escaped)
            index += 2
            continue
        if in_class and (posix := _POSIX.match(pattern, index)) and posix.group(1) in _POSIX_CLASSES:
            out.append(_POSIX_CLASSES[posix.group(1)])
            index = posix.end()
            continue
        if in_class:
            in_class = char != "]" or out[-1] == "["
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif pattern.startswith("(?<", index) and pattern[index + 3 : index + 4] not in ("=", "!"):
            out.append("(?P<")
            index += 3
            continue
        elif pattern.startswith("(?", index) and (flags := _FLAG_GROUP.match(pattern, index)):
            on, off = (flags.group(1) or "").replace("m", "s"), (flags.group(2) or "").replace("m", "s")
            out.append(f"(?{on}{'-' + off if flags.group(2) is not None else ''}{flags.group(3)}")
            index = flags.end()
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_ruby(name: str, pattern: str) -> re.Pattern[str]:
    """Compile a Ruby pattern, raising a filter argument error when it is invalid.

    Args:
        name: the filter's name, for the error message.
        pattern: the Ruby regular expression source.
    """
    try:
        return re.compile(ruby_to_python(pattern), re.MULTILINE)
    except (re.error, ValueError) as err:
        raise argument_error(name, f"invalid regular expression {pattern!r}: {err}") from err


def _pattern(name: str, regex: object) -> re.Pattern[str]:
    if is_nil(regex):
        raise argument_error(name, "a regular expression is required")
    return compile_ruby(name, to_text(regex))


def match(value: object, regex: object = None) -> RegexMatch | None:
    """The first match of a Ruby regular expression in a string.

    Args:
        value: the string to search.
        regex: the Ruby regular expression, e.g. ``"a (?<adj>bucolic|lovely) day"``.

    Returns:
        The match (prints as the matched text; ``.captures``/``.named_captures``), or nil.

    Raises:
        FilterArgumentError: the regular expression is missing or invalid.
    """
    found = _pattern("match", regex).search(to_text(value))
    return RegexMatch(found) if found else None


def scan(value: object, regex: object = None) -> list[RegexMatch]:
    """Every match of a Ruby regular expression in a string, in order.

    Returns:
        An array of matches, each like :func:`match`'s (so ``map: "captures"`` works).

    Raises:
        FilterArgumentError: the regular expression is missing or invalid.
    """
    return [RegexMatch(found) for found in _pattern("scan", regex).finditer(to_text(value))]
