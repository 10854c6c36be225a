"""Smoke test: the task library's scripts parse as Mechanic Liquid (and, stripped, as plain Liquid).

Reads the corpus in ../shared in place (never copied). Filters are only looked up when rendering, so
parsing exercises the tags and expressions alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import liquid
import pytest

from mechanic_kernel.liquid.render import parse_template
from mechanic_kernel.liquid.render import strip_mechanic_tags

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "mechanic-tasks" / "tasks"
REQUIRED_SHARE = 0.95

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"task corpus not found at {CORPUS}")


def _scripts() -> dict[str, str]:
    return {
        path.stem: json.loads(path.read_text()).get("script") or "" for path in sorted(CORPUS.glob("*.json"))
    }


def test_library_scripts_parse() -> None:
    """Library scripts parse."""
    scripts = _scripts()
    failures = {}
    for name, script in scripts.items():
        try:
            parse_template(script)
        except liquid.exceptions.LiquidError as err:
            failures[name] = str(err).splitlines()[0]
    parsed = len(scripts) - len(failures)
    print(f"\n{parsed}/{len(scripts)} library scripts parse")
    for name, message in failures.items():
        print(f"  {name}: {message}")
    assert parsed >= REQUIRED_SHARE * len(scripts)


def test_stripped_library_scripts_parse_as_plain_liquid() -> None:
    """Stripped library scripts parse as plain liquid."""
    env = liquid.Environment()
    failures = []
    for name, script in _scripts().items():
        try:
            env.from_string(strip_mechanic_tags(script))
        except liquid.exceptions.LiquidError:
            failures.append(name)
    assert not failures
