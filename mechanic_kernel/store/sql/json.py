"""JSON text as the store keeps it."""

from __future__ import annotations

import json
from typing import Any

# json.dumps(value, ensure_ascii=False) builds a new encoder per call; one shared encoder gives the same text.
to_json = json.JSONEncoder(ensure_ascii=False).encode
from_json = json.JSONDecoder().decode


def dump(value: Any) -> str | None:
    """JSON text of a value, None for None (SQL NULL)."""
    return None if value is None else to_json(value)


def load(text: str | None) -> Any:
    """The value of JSON text, None for SQL NULL."""
    return None if text is None else from_json(text)
