"""Turn a Mechanic script into plain Liquid that stock python-liquid parses (for overhead benchmarks).

The result is *not* equivalent to the script; it keeps as much of the work as plain Liquid can express:

* ``action``/``log``/``error`` blocks keep their body (it still renders), the tags themselves go; inline
  forms become nothing; ``permissions`` blocks go entirely.
* ``{% assign h["k"] = v %}`` becomes ``{% assign _mechanic_discard = v %}`` (the value is still computed).
* ``limit``/``offset``/``cols`` used as variable names get a trailing underscore; ``x.limit`` becomes
  ``x["limit"]``.
* ``break``/``continue`` outside any loop go (python-liquid would fail the render on them; Mechanic ends
  the render there).
* ``hash``/``array``/``newline`` stay as they are: plain Liquid reads them as undefined variables unless the
  caller passes them as render arguments.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"\{%(-?)(\s*)(\w+)(.*?)(-?)%\}", re.DOTALL)
_OUTPUT = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_SUBSCRIPT_ASSIGN = re.compile(
    r"^(\s*)[\w-]+(?:\.[\w-]+|\[[^\]]*\])*\[[^\]]*\](?:\.[\w-]+|\[[^\]]*\])*(\s*=)"
)
_DOTTED_KEYWORD = re.compile(r"\.(limit|offset|cols)\b")
_BARE_KEYWORD = re.compile(r"(?<![\w.\"'])(limit|offset|cols)\b(?!\s*:)")

_VALUE_TAGS = {"action": "endaction", "log": "endlog", "error": "enderror"}
_BLOCKS = ("for", "tablerow", "if", "unless", "case", "capture")
_INTERRUPTS = ("break", "continue")


def _track(name: str, blocks: list[str]) -> bool:
    """Follow block nesting; return whether a ``break``/``continue`` here is inside a loop."""
    if name in _BLOCKS:
        blocks.append(name)
    elif name.startswith("end") and name[3:] in _BLOCKS and blocks:
        blocks.pop()
    elif name == "else" and blocks and blocks[-1] == "for":
        # A for loop's else branch renders outside the loop.
        blocks[-1] = "for-else"
    return "for" in blocks or "tablerow" in blocks


_ENDS = {end: name for name, end in _VALUE_TAGS.items()}


def _rename_keywords(expression: str) -> str:
    # Leave string literals alone: only names are renamed.
    pieces = []
    last = 0
    for match in _STRING.finditer(expression):
        pieces.append(_rename_outside_strings(expression[last : match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(_rename_outside_strings(expression[last:]))
    return "".join(pieces)


def _rename_outside_strings(text: str) -> str:
    text = _DOTTED_KEYWORD.sub(lambda m: f'["{m.group(1)}"]', text)
    return _BARE_KEYWORD.sub(lambda m: f"{m.group(1)}_", text)


def _strip_lines(body: str, blocks: list[str]) -> str:
    """Strip Mechanic tags from the lines of a ``{% liquid %}`` tag (``blocks``: blocks open so far)."""
    out = []
    skipping_permissions = False
    for line in body.split("\n"):
        match = re.match(r"(\s*)(\w+)(.*)", line)
        name, rest = (match.group(2), match.group(3)) if match else ("", line)
        if skipping_permissions:
            skipping_permissions = name != "endpermissions"
            continue
        if name == "permissions":
            skipping_permissions = True
            continue
        if name in _VALUE_TAGS or name in _ENDS:
            # Inline forms and block markers both disappear; a block's body lines stay.
            continue
        if not _track(name, blocks) and name in _INTERRUPTS:
            continue
        if not match:
            out.append(line)
            continue
        if name == "assign":
            rest = _SUBSCRIPT_ASSIGN.sub(r"\1_mechanic_discard\2", rest)
        out.append(f"{match.group(1)}{name}{_rename_keywords(rest)}")
    return "\n".join(out)


def _plain(text: str) -> str:
    return _OUTPUT.sub(lambda m: _rename_keywords(m.group()), text)


def strip_mechanic_tags(source: str) -> str:
    """Return plain Liquid for a Mechanic script; see the module docstring for what changes.

    Args:
        source: a Mechanic task script.

    Returns:
        Liquid text that python-liquid's default ``Environment`` can parse.
    """
    out: list[str] = []
    position = 0
    skip_until: str | None = None
    blocks: list[str] = []
    while (match := _TAG.search(source, position)) is not None:
        name, expression = match.group(3), match.group(4)
        if skip_until is None:
            out.append(_plain(source[position : match.start()]))
        position = match.end()
        if skip_until is not None:
            if name == skip_until:
                skip_until = None
        elif name == "permissions":
            skip_until = "endpermissions"
        elif name in ("raw", "comment"):
            # Literal regions are kept verbatim: their insides are not Liquid.
            end = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(source, match.end())
            position = end.end() if end else len(source)
            out.append(source[match.start() : position])
        elif name in _VALUE_TAGS or name in _ENDS:
            pass
        elif name == "liquid":
            lines = _strip_lines(expression, blocks)
            out.append(f"{{%{match.group(1)}{match.group(2)}liquid{lines}{match.group(5)}%}}")
        elif not _track(name, blocks) and name in _INTERRUPTS:
            pass
        else:
            if name == "assign":
                expression = _SUBSCRIPT_ASSIGN.sub(r"\1_mechanic_discard\2", expression)
            out.append(
                f"{{%{match.group(1)}{match.group(2)}{name}{_rename_keywords(expression)}{match.group(5)}%}}"
            )
    if skip_until is None:
        out.append(_plain(source[position:]))
    return "".join(out)
