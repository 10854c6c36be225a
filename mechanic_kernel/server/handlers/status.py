"""``GET /mechanic/`` — what this server is and where its webhooks live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tornado import web

from ...errors import StoreUnavailable
from ...version import __version__

if TYPE_CHECKING:
    from ...workbench import Workbench


class StatusHandler(web.RequestHandler):
    """A small JSON summary, handy to check that a tunnel reaches the right server.

    It is public, like the webhooks, so it names no webhook: a webhook's id is the only secret in its URL.
    It reads the store, so it also serves as a health check (503 while the store is unreachable).
    """

    def initialize(self, workbench: Workbench) -> None:
        self.workbench = workbench

    def get(self) -> None:
        try:
            webhooks = len(self.workbench.webhooks.list())
        except StoreUnavailable as exc:
            self.set_status(503)
            self.set_header("Retry-After", "5")
            self.finish({"name": "mechanic-kernel", "store": "unavailable", "message": exc.message})
            return
        self.finish({"name": "mechanic-kernel", "version": __version__, "base_url": self.workbench.base_url(),
                     "store": self.workbench.store.backend, "webhooks": webhooks})
