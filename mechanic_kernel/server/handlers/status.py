"""``GET /mechanic/`` — what this server is and where its webhooks live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tornado import web

if TYPE_CHECKING:
    from ...workbench import Workbench


class StatusHandler(web.RequestHandler):
    """A small JSON summary, handy to check that a tunnel reaches the right server."""

    def initialize(self, workbench: Workbench) -> None:
        self.workbench = workbench

    def get(self) -> None:
        self.finish(
            {
                "name": "mechanic-kernel",
                "base_url": self.workbench.base_url(),
                "webhooks": [
                    webhook.to_dict(self.workbench.webhooks.url(webhook))
                    for webhook in self.workbench.webhooks.list()
                ],
            }
        )
