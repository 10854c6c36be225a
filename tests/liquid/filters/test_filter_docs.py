"""docs/filters.md lists every registered filter, and its examples render as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from filtertools import ENV
from filtertools import render

DOC = Path(__file__).parents[3] / "docs" / "filters.md"
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [cell.strip().replace("\\|", "|") for cell in CELL_SPLIT.split(line)[1:-1]]
            rows.append(cells)
    return rows


def _code(cell: str) -> str | None:
    return cell[1:-1] if len(cell) >= 2 and cell.startswith("`") and cell.endswith("`") else None


ROWS = _rows()
EXAMPLES = [(row[0].strip("`"), _code(row[2]), _code(row[3])) for row in ROWS if _code(row[3]) is not None]


def test_every_registered_filter_is_documented() -> None:
    documented = {row[0].strip("`") for row in ROWS}
    assert sorted(set(ENV.filters) - documented) == []


def test_no_unregistered_filter_is_documented() -> None:
    documented = {row[0].strip("`") for row in ROWS}
    assert sorted(documented - set(ENV.filters)) == []


@pytest.mark.parametrize(("name", "template", "output"), EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_documented_example(name: str, template: str, output: str) -> None:
    assert render(template) == output
