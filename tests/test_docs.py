"""The docs name every CLI command, setting, action type, Liquid tag and API route (doc-coverage tests)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from mechanic_kernel.actions.registry import action_types
from mechanic_kernel.cli import build_parser
from mechanic_kernel.liquid.render import environment
from mechanic_kernel.server.handlers.api import api_handlers
from mechanic_kernel.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = [command for command in _commands(build_parser()) if len(command) > 1 or command == ("serve",)]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_cli_command_is_in_the_cli_reference(command: tuple[str, ...]) -> None:
    text = _text("cli.md")
    *group, last = command
    pattern = re.escape(" ".join(command)) if len(command) <= 2 else (
        re.escape(" ".join(group)) + r"[^\n]*\b" + re.escape(last) + r"\b")
    assert re.search(pattern, text), f"`{' '.join(command)}` is missing from docs/cli.md"


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_setting_is_documented(key: str) -> None:
    assert key in _text("cli.md"), f"setting {key} is missing from docs/cli.md"


@pytest.mark.parametrize("name", action_types())
def test_every_action_type_is_documented(name: str) -> None:
    assert re.search(rf"^#+ .*\b{re.escape(name)}\b", _text("actions.md"), re.M), (
        f"action type {name} has no section in docs/actions.md")


MECHANIC_TAGS = ["action", "log", "error", "permissions", "assign", "break"]


@pytest.mark.parametrize("tag", MECHANIC_TAGS)
def test_every_mechanic_tag_is_documented(tag: str) -> None:
    assert tag in environment().tags
    assert f"| `{tag}` |" in _text("liquid.md"), f"tag {tag} is missing from docs/liquid.md"


@pytest.mark.parametrize("route", [pattern for pattern, _, _ in api_handlers(None)])  # type: ignore[arg-type]
def test_every_api_route_is_documented(route: str) -> None:
    documented = route.replace("([^/]+)", "<id>")
    assert f"`{documented}`" in _text("jupyter.md"), f"{documented} is missing from docs/jupyter.md"
