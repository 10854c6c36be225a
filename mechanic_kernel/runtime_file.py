"""The note a running server leaves in its home, so the CLI and kernels can show live webhook URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RUNTIME_FILE = "server.json"


def write_server_note(home: Path, url: str, kind: str, public_url: str | None = None) -> None:
    """Record that a server of this process serves ``url`` (reachable from outside at ``public_url``)."""
    note = {"url": url, "pid": os.getpid(), "kind": kind, "public_url": public_url}
    temporary = Path(home) / f".{RUNTIME_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(note))
    temporary.replace(Path(home) / RUNTIME_FILE)


def clear_server_note(home: Path) -> None:
    """Remove the note if this process wrote it."""
    note = read_server_note(home)
    if note and note.get("pid") == os.getpid():
        (Path(home) / RUNTIME_FILE).unlink(missing_ok=True)


def read_server_note(home: Path) -> dict[str, Any] | None:
    """The note of a server that is still running, or None."""
    try:
        note = json.loads((Path(home) / RUNTIME_FILE).read_text())
        os.kill(int(note["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return note
