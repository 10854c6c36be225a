"""``GET /mechanic/files/<token>/<name>``: a file of the files action, served until its URL expires."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tornado import web

from ...clock import parse_iso

if TYPE_CHECKING:
    from ...workbench import Workbench


class FilesHandler(web.RequestHandler):
    """Answers 404 for an unknown token or name, 410 once the URL has expired, else the file's bytes."""

    def initialize(self, workbench: Workbench) -> None:
        """Keep the workbench whose store lists the files."""
        self.workbench = workbench

    def _file_path(self, token: str, name: str) -> tuple[Path, str]:
        stored = self.workbench.store.files.get(token)
        if stored is None or stored.name != name:
            raise web.HTTPError(404, "no such file")
        if parse_iso(stored.expires_at) <= self.workbench.clock.now():
            raise web.HTTPError(410, "this file's URL has expired")
        home = Path(self.workbench.home).resolve()
        path = (home / stored.path).resolve()
        # The path comes from our own row, but a tampered store must still not serve files outside the home.
        if not path.is_relative_to(home) or not path.is_file():
            raise web.HTTPError(404, "the file is gone from the home folder")
        self.set_header("Content-Type", stored.mime_type)
        self.set_header("Content-Length", str(stored.size))
        self.set_header("Cache-Control", "private, max-age=0")
        # Generated HTML or SVG must not run script on this server's origin (it also serves the API).
        self.set_header("Content-Security-Policy", "sandbox")
        self.set_header("X-Content-Type-Options", "nosniff")
        return path, stored.mime_type

    def head(self, token: str, name: str) -> None:
        """The file's headers only."""
        self._file_path(token, name)

    def get(self, token: str, name: str) -> None:
        """The file, or 404 (unknown) / 410 (expired)."""
        path, _ = self._file_path(token, name)
        self.finish(path.read_bytes())
