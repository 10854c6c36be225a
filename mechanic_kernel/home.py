"""Where a workbench keeps its store: the *home* folder, resolved the same way by every process."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "MECHANIC_HOME"


def default_home() -> Path:
    """The home used when neither ``--home`` nor ``MECHANIC_HOME`` is given.

    It depends only on the user's data folder, so a Jupyter server and every kernel it starts (which inherit
    its environment) agree on it with no configuration.
    """
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "mechanic-kernel"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the home folder: the explicit argument, else ``MECHANIC_HOME``, else :func:`default_home`.

    The folder is created if it does not exist.
    """
    chosen = (
        Path(home) if home else Path(os.environ[HOME_ENV]) if os.environ.get(HOME_ENV) else default_home()
    )
    chosen = chosen.expanduser().resolve()
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen
