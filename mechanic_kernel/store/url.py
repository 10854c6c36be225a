"""Store URLs: which backend, where, and how to show the URL without its password.

``sqlite:///ABSOLUTE/PATH`` (also ``sqlite:////ABSOLUTE/PATH``, as SQLAlchemy spells it) or
``sqlite:RELATIVE/PATH`` names a SQLite file; ``postgresql://USER[:PASSWORD]
@HOST[:PORT]/DATABASE[?options]`` (or ``postgres://``) a PostgreSQL database, in libpq's own URI syntax.
Without a URL the store is the SQLite file ``mechanic.sqlite3`` in the home folder. ``MECHANIC_STORE`` gives
the URL to every process that does not get one on its command line (kernels started by a Jupyter server
inherit it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..errors import StoreError

STORE_ENV = "MECHANIC_STORE"
STORE_FILE = "mechanic.sqlite3"
_PASSWORD = re.compile(r"^(?P<head>[a-z][a-z0-9+.-]*://[^/@:]*:)(?P<password>[^/@]*)(?P<tail>@.*)$", re.I)


@dataclass(frozen=True)
class StoreURL:
    """A parsed store URL.

    Attributes:
        backend: ``sqlite`` or ``postgresql``.
        url: the URL as given (with its password, for connecting).
        path: the SQLite file, for ``sqlite``.
    """

    backend: str
    url: str
    path: Path | None = None

    @property
    def masked(self) -> str:
        """The URL with any password replaced by ``***``, for messages and logs."""
        return mask(self.url)


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file: ``sqlite:///ABSOLUTE/PATH`` (three slashes, then the path's own)."""
    return f"sqlite://{path}" if Path(path).is_absolute() else f"sqlite:{path}"


def mask(url: str) -> str:
    """``url`` with its password (and any ``password=`` parameter) replaced by ``***``."""
    match = _PASSWORD.match(url)
    if match:
        url = f"{match['head']}***{match['tail']}"
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def resolve(home: Path, url: str | None = None) -> StoreURL:
    """The store of a home folder: ``url``, else ``MECHANIC_STORE``, else SQLite in the home.

    Raises:
        StoreError: a URL of another scheme, or a SQLite URL without a path.
    """
    chosen = (url or os.environ.get(STORE_ENV) or "").strip()
    if not chosen:
        path = Path(home) / STORE_FILE
        return StoreURL("sqlite", sqlite_url(path), path)
    return parse(chosen, home)


def parse(url: str, home: Path | None = None) -> StoreURL:
    """Parse a store URL (relative SQLite paths are relative to ``home``, else to the working directory).

    Raises:
        StoreError: an unsupported scheme or a SQLite URL without a path.
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme in ("postgresql", "postgres"):
        if not rest.startswith("//"):
            raise StoreError(
                f"invalid store URL {mask(url)!r}: expected postgresql://USER@HOST[:PORT]/DATABASE"
            )
        return StoreURL("postgresql", url)
    if sep and scheme == "sqlite":
        text = unquote(rest[2:] if rest.startswith("//") else rest)
        if text.startswith("/"):
            text = "/" + text.lstrip("/")  # sqlite:////abs (SQLAlchemy's spelling) is sqlite:///abs too
        if not text or text == "/":
            raise StoreError(f"invalid store URL {url!r}: expected sqlite:///ABSOLUTE/PATH/TO/FILE.sqlite3")
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = (Path(home) if home else Path.cwd()) / path
        return StoreURL("sqlite", sqlite_url(path), path)
    raise StoreError(
        f"unsupported store URL {mask(url)!r}: use sqlite:///PATH/TO/FILE.sqlite3 or "
        "postgresql://USER@HOST[:PORT]/DATABASE"
    )
