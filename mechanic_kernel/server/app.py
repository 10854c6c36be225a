"""The Tornado application and HTTP server used by ``serve`` and by the server embedded in a kernel."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from typing import Any

from tornado import netutil
from tornado.httpserver import HTTPServer
from tornado.web import Application

from .fastpath import MechanicDelegate
from .handlers.cache import CacheEndpointHandler
from .handlers.files import FilesHandler
from .handlers.status import StatusHandler
from .handlers.webhook import WebhookHandler

if TYPE_CHECKING:
    from ..workbench import Workbench

# The fast path enforces the workbench's own body limit and answers 413; Tornado must not cut in first.
SERVER_BODY_LIMIT = 2**62


def default_handlers(workbench: Workbench) -> list[tuple[str, type, dict[str, Any]]]:
    """Routes served outside Jupyter (the extension mounts the same handler classes)."""
    args = {"workbench": workbench}
    return [
        (r"/mechanic/webhooks?/[^/]+(?:/[^/]+)?/?", WebhookHandler, args),
        (r"/mechanic/files/([^/]+)/([^/]+)", FilesHandler, args),
        (r"/mechanic/cache/([^/]+)/?", CacheEndpointHandler, args),
        (r"/(?:mechanic/?)?", StatusHandler, args),
    ]


def make_app(workbench: Workbench) -> Application:
    """The Tornado application for ``workbench``."""
    return Application(default_handlers(workbench))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET if host in ("127.0.0.1", "0.0.0.0") else socket.AF_UNSPEC


def bind(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """Listening sockets for ``host:port`` (0 picks a free port).

    ``reuse_port`` lets several processes each listen on the port; the kernel spreads new connections over them.

    Raises:
        OSError: when the address cannot be bound (port in use, bad host).
    """
    return netutil.bind_sockets(port, host, family=_family(host), reuse_port=reuse_port)


def reserve_port(host: str, port: int) -> socket.socket:
    """A bound, non-listening ``SO_REUSEPORT`` socket holding ``host:port`` (0 picks a free port).

    Server processes then each listen on the port with their own socket (:func:`bind` with ``reuse_port``); a
    socket that does not listen receives no connections, so this one only keeps the port for them.

    Raises:
        OSError: when the address cannot be bound (port in use, bad host).
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, _family(host), socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0]
    holder = socket.socket(family, kind, proto)
    try:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(address)
    except OSError:
        holder.close()
        raise
    return holder


def server_url(host: str, sockets: list[socket.socket]) -> str:
    """The base URL a client uses for sockets bound on ``host``."""
    bound_port = sockets[0].getsockname()[1]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return f"http://{shown_host}:{bound_port}"


def start_server(
    workbench: Workbench,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    fast_path: bool = True,
    sockets: list[socket.socket] | None = None,
) -> tuple[HTTPServer, str]:
    """Listen on ``host:port`` (0 picks a free port) on the current IOLoop; return the server and its URL.

    ``fast_path=False`` serves webhooks through :class:`WebhookHandler` only, as the Jupyter extension does.
    ``sockets`` serves sockets bound already (by the parent of several server processes) instead.

    Raises:
        OSError: when the address cannot be bound (port in use, bad host).
    """
    if sockets is None:
        sockets = bind(host, port)
    app = make_app(workbench)
    server = HTTPServer(
        MechanicDelegate(app, workbench.receiver) if fast_path else app,
        max_body_size=SERVER_BODY_LIMIT,
        idle_connection_timeout=60,
        body_timeout=120,
    )
    server.add_sockets(sockets)
    url = server_url(host, sockets)
    workbench.server_url = url
    return server, url
