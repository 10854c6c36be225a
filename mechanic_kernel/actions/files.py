"""The ``files`` action: generates files, keeps them in the home folder, serves each at an expiring URL.

Files live in ``<home>/files/<action_run_id>/<name>``; each gets a random token, recorded in the store with
its expiry, and is served at ``{base_url}/mechanic/files/<token>/<name>`` by
:class:`~mechanic_kernel.server.handlers.files.FilesHandler` until then (404 for an unknown token, 410 once
expired). Mechanic does not document how long its URLs last (spec Appendix B); the ``file_expiry_days``
setting, 7 by default, decides it here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..clock import isoformat
from ..models.files import StoredFile
from .base import ActionContext
from .base import ActionError
from .generators import GeneratedFile
from .generators import generate_all
from .generators import validate_generators

DEFAULT_EXPIRY_DAYS = 7
FILES_FOLDER = "files"
_SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def file_url(base_url: str, token: str, name: str) -> str:
    """The local URL of a generated file."""
    return f"{base_url.rstrip('/')}/mechanic/files/{token}/{quote(name, safe='')}"


class FilesAction:
    """Generates files and returns, for each, its name, size, type, URL and URL expiry (spec §4.6)."""

    name = "files"

    def validate(self, options: Any) -> None:
        """Check that ``options`` is a non-empty object of file name to file generator.

        Raises:
            ActionError: naming the first bad file name or generator.
        """
        if not isinstance(options, Mapping) or not options:
            raise ActionError(
                "files options must be a non-empty object of file name to file generator, "
                'such as {"report.csv": "a,b\\n1,2"}'
            )
        validate_generators(options, "files")

    async def perform(self, options: Any, context: ActionContext) -> dict[str, Any]:
        """Generate, store and publish the files.

        Returns:
            ``{name: {"expires_at", "mime_type", "name", "size", "url"}}`` for every file of ``options``.

        Raises:
            ActionError: bad options, a file over 20 MB, a failed generator.
            TransientActionError: a ``url`` generator's download may succeed later.
        """
        self.validate(options)
        if not _SAFE_RUN_ID.match(context.action_run_id):
            raise ActionError(f"cannot store files for action run id {context.action_run_id!r}")
        files_store = context.services.get("files")
        if files_store is None:
            raise ActionError("files actions need the workbench's file records, which this worker was not given")
        generated = await generate_all(options, "files")
        expiry_days = int(context.settings.get("file_expiry_days") or DEFAULT_EXPIRY_DAYS)
        expires_at = isoformat(context.now + dt.timedelta(days=expiry_days))
        created_at = isoformat(context.now)
        folder = Path(context.home) / FILES_FOLDER / context.action_run_id
        rows = [_write(folder, context, file, created_at, expires_at) for file in generated.values()]
        files_store.add(rows)
        return {
            row.name: {
                "expires_at": row.expires_at,
                "mime_type": row.mime_type,
                "name": row.name,
                "size": row.size,
                "url": file_url(context.base_url, row.token, row.name),
            }
            for row in rows
        }


def _write(
    folder: Path, context: ActionContext, file: GeneratedFile, created_at: str, expires_at: str
) -> StoredFile:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    # Write then rename, so a crash never leaves a half file behind a URL (a retried run overwrites).
    partial = folder / f".partial-{secrets.token_hex(8)}"
    partial.write_bytes(file.data)
    os.replace(partial, target)
    return StoredFile(
        token=secrets.token_urlsafe(24),
        action_run_id=context.action_run_id,
        name=file.name,
        path=target.relative_to(Path(context.home)).as_posix(),
        mime_type=file.mime_type,
        size=file.size,
        created_at=created_at,
        expires_at=expires_at,
    )


ACTION = FilesAction()
