"""Helpers shared by the task tests: the task library corpus and the frozen moment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / "../shared/conformance/mechanic-tasks"
FROZEN_NOW = "2026-03-01T12:00:00Z"


def library_task(name: str) -> dict[str, Any]:
    """One task of the library corpus, by file name without ``.json``."""
    return json.loads((CORPUS / "tasks" / f"{name}.json").read_text(encoding="utf-8"))


def library_files() -> list[Path]:
    """Every task file of the corpus, sorted."""
    return sorted((CORPUS / "tasks").glob("*.json"))
