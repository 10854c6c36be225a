"""``GET /mechanic/cache/<endpoint-id>`` — a cache endpoint: one cache key's value as JSON, for any origin."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tornado import web

from ...errors import NotFound

if TYPE_CHECKING:
    from ...workbench import Workbench


class CacheEndpointHandler(web.RequestHandler):
    """Answers the JSON value of the endpoint's key (``null`` when missing or expired; 404 for unknown ids).

    Cache endpoints exist to be read by storefront scripts on other origins, so every response allows every
    origin (spec §6), and, like webhooks, they need no cookie or token.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "OPTIONS")

    def initialize(self, workbench: Workbench) -> None:
        """Keep the workbench whose cache is served."""
        self.workbench = workbench

    def check_xsrf_cookie(self) -> None:
        """Read-only and public by design."""

    def set_default_headers(self) -> None:
        """Allow every origin on every answer, errors included."""
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.set_header("Access-Control-Allow-Headers", "*")
        self.set_header("Cache-Control", "no-store")

    def get(self, endpoint_id: str) -> None:
        """Answer the value of the endpoint's key as JSON."""
        try:
            endpoint = self.workbench.cache.endpoint(endpoint_id)
        except NotFound as exc:
            self.set_status(404)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": exc.message}))
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(self.workbench.cache.get(endpoint["key"]), ensure_ascii=False))

    def head(self, endpoint_id: str) -> None:
        """Like GET, without the body."""
        self.get(endpoint_id)

    def options(self, endpoint_id: str) -> None:
        """Answer a CORS preflight."""
        self.set_header("Access-Control-Max-Age", "86400")
        self.set_status(204)
        self.finish()
