"""The Jupyter Server extension: webhooks live on Jupyter's own server, the API behind Jupyter's auth.

This is the only module that imports jupyter_server. It mounts the same handler classes as ``serve``: the public
ones (webhooks, cache endpoints, generated files) as they are, the management API wrapped in Jupyter's
``APIHandler`` with ``@web.authenticated`` on every method, so the API is never public under Jupyter.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.application import ExtensionApp
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Integer
from traitlets import Unicode
from traitlets import default

from ..version import __version__
from ..home import HOME_ENV
from ..home import resolve_home
from ..runtime_file import clear_server_note
from ..runtime_file import write_server_note
from ..settings import parse_public_url
from ..store import STORE_ENV
from ..workbench import Workbench
from .app import default_handlers
from .handlers.api import APIBase
from .handlers.api import api_handlers

_METHODS = ("get", "post", "put", "patch", "delete")


def behind_jupyter_auth(handler: type[APIBase]) -> type[APIBase]:
    """``handler`` as a Jupyter ``APIHandler`` whose every method requires Jupyter's authentication."""
    wrapped = {
        name: web.authenticated(getattr(handler, name)) for name in _METHODS if name in handler.__dict__
    }
    return type(handler.__name__, (handler, APIHandler), wrapped)


class MechanicKernelApp(ExtensionApp):
    """mechanic-kernel inside Jupyter Server (``jupyter lab``, ``jupyter server``)."""

    name = "mechanic_kernel"
    load_other_extensions = True

    home = Unicode(
        "",
        config=True,
        help="Home folder of the store; default: $MECHANIC_HOME, else ~/.local/share/mechanic-kernel. "
        "Kernels started by this server inherit it.",
    )
    store = Unicode(
        "",
        config=True,
        help="The store's URL: sqlite:///PATH or postgresql://USER@HOST[:PORT]/DATABASE; default: "
        "$MECHANIC_STORE, else SQLite in the home folder. Kernels started by this server inherit it.",
    )
    public_url = Unicode(
        "",
        config=True,
        help="Base URL senders use to reach this server (a tunnel or reverse proxy), for the "
        "webhook URLs shown; default: the server's own URL.",
    )
    body_limit = Integer(0, config=True, help="Largest webhook body in bytes; 0 keeps the workbench setting.")
    retention_days = Integer(
        -1,
        config=True,
        help="Days completed events are kept; -1 keeps the workbench setting, 0 keeps forever.",
    )
    concurrency = Integer(config=True, help="How many runs the worker performs at once.")

    @default("concurrency")
    def _default_concurrency(self) -> int:
        from ..runs.worker import DEFAULT_CONCURRENCY

        return DEFAULT_CONCURRENCY

    def initialize_settings(self) -> None:
        home = resolve_home(self.home or None)
        # Kernels inherit the server's environment: this is how a notebook's Workbench() finds this store.
        os.environ[HOME_ENV] = str(home)
        if self.store:
            os.environ[STORE_ENV] = self.store
        self.workbench = Workbench(home, store=self.store or None)
        if self.body_limit > 0:
            self.workbench.settings.set("body_limit", self.body_limit)
        if self.retention_days >= 0:
            self.workbench.settings.set("retention_days", self.retention_days)
        if self.public_url:
            self.workbench.public_url_override = parse_public_url(self.public_url)
        self.workbench.worker.concurrency = self.concurrency
        self.settings["mechanic_kernel_workbench"] = self.workbench
        self._worker_stop: asyncio.Event | None = None
        self._worker_task: asyncio.Future[Any] | None = None
        IOLoop.current().add_callback(self._start)

    def initialize_handlers(self) -> None:
        public = default_handlers(self.workbench)
        api = [
            (pattern, behind_jupyter_auth(handler), args)
            for pattern, handler, args in api_handlers(self.workbench)
        ]
        # The status page of `serve` would shadow Jupyter's own root; keep only the /mechanic/ routes.
        self.handlers.extend([route for route in public if route[0].startswith("/mechanic")])
        self.handlers.extend(api)

    async def _start(self) -> None:
        url = self.serverapp.connection_url.rstrip("/")
        self.workbench.server_url = url
        write_server_note(self.workbench.home, url, "jupyter", public_url=self.workbench.public_url_override)
        self._worker_stop = asyncio.Event()
        self._worker_task = asyncio.ensure_future(self.workbench.worker.work(self._worker_stop))
        self.log.info(
            "mechanic-kernel %s: webhooks at %s/mechanic/webhooks/<id>, home %s, store %s",
            __version__,
            self.workbench.base_url(),
            self.workbench.home,
            self.workbench.store.url,
        )

    async def stop_extension(self) -> None:
        if self._worker_stop is not None and self._worker_task is not None:
            self._worker_stop.set()
            await asyncio.gather(self._worker_task, return_exceptions=True)
        clear_server_note(self.workbench.home)
        self.workbench.close()


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "mechanic_kernel.server.extension", "app": MechanicKernelApp}]
