"""Helpers of the action tests: a local HTTP server on 127.0.0.1 and a runner for action coroutines."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from base64 import b64encode
from pathlib import Path
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer

from mechanic_kernel.clock import UTC

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class EchoHandler(web.RequestHandler):
    """Answers with what it received, so a test can check exactly what the action sent."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def _echo(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Multi", "one")
        self.add_header("X-Multi", "two")
        self.finish(
            json.dumps(
                {
                    "method": self.request.method,
                    "path": self.request.path,
                    "query": self.request.query,
                    "headers": {name.lower(): value for name, value in self.request.headers.get_all()},
                    "body": self.request.body.decode("utf-8", "replace"),
                    "body_base64": b64encode(self.request.body).decode(),
                }
            )
        )

    get = post = put = patch = delete = options = _echo

    def head(self) -> None:
        self.set_header("X-Head", "yes")
        self.finish()


class StatusHandler(web.RequestHandler):
    def get(self, code: str) -> None:
        self.set_status(int(code))
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"status {code}")

    post = get


class RedirectHandler(web.RequestHandler):
    def get(self) -> None:
        self.redirect("/echo?redirected=1", status=302)


class SlowHandler(web.RequestHandler):
    async def get(self) -> None:
        await asyncio.sleep(3)
        self.finish("late")


class BytesHandler(web.RequestHandler):
    """Streams ``n`` bytes (a download bigger than a limit, without holding it in memory)."""

    async def get(self, size: str) -> None:
        remaining = int(size)
        self.set_header("Content-Type", "application/octet-stream")
        chunk = b"x" * 65536
        while remaining > 0:
            self.write(chunk[:remaining])
            remaining -= len(chunk)
            await self.flush()
        self.finish()


class TextHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", self.get_argument("type", "text/plain; charset=utf-8"))
        self.finish(self.get_argument("text", "héllo").encode("utf-8"))


class LocalServer:
    """A Tornado server on 127.0.0.1 in its own thread and event loop (HTTPS when given a TLS context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.url = ""
        self._tls = tls
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="action-test-server", daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        async def main() -> None:
            app = web.Application(
                [
                    (r"/echo", EchoHandler),
                    (r"/status/(\d+)", StatusHandler),
                    (r"/redirect", RedirectHandler),
                    (r"/slow", SlowHandler),
                    (r"/bytes/(\d+)", BytesHandler),
                    (r"/text", TextHandler),
                ]
            )
            server = HTTPServer(app, max_body_size=64 * 1024 * 1024, ssl_options=self._tls)
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
            server.add_socket(sock)
            scheme = "https" if self._tls else "http"
            self.url = f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            server.stop()

        asyncio.run(main())

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def run(coroutine: Any) -> Any:
    """Run one action call to completion on a fresh event loop."""
    return asyncio.run(coroutine)


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd is not a dependency).

    Recipients containing ``refuse`` are refused with 550, ``later`` with 450; ``AUTH PLAIN`` accepts
    ``user``/``pass`` only.
    """

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="smtp-sink", daemon=True)

    def start(self) -> SmtpSink:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        async def main() -> None:
            server = await asyncio.start_server(self._session, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            async with server:
                await self._stop.wait()

        asyncio.run(main())

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        envelope: dict[str, Any] = {"mail_from": None, "rcpt_to": [], "auth": None}
        reply("220 sink ESMTP")
        while True:
            line = (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                break
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                reply("250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "HELO":
                reply("250 sink")
            elif verb == "AUTH":
                _, _, credentials = argument.partition(" ")
                user_pass = base64.b64decode(credentials).split(b"\0")[1:]
                if user_pass == [b"user", b"pass"]:
                    envelope["auth"] = "user"
                    reply("235 ok")
                else:
                    reply("535 bad credentials")
            elif verb == "MAIL":
                envelope["mail_from"] = argument.split(":", 1)[1].split()[0].strip("<>")
                envelope["rcpt_to"] = []
                reply("250 ok")
            elif verb == "RCPT":
                address = argument.split(":", 1)[1].strip().strip("<>")
                if "refuse" in address:
                    reply("550 no such user")
                elif "later" in address:
                    reply("450 try later")
                else:
                    envelope["rcpt_to"].append(address)
                    reply("250 ok")
            elif verb == "DATA":
                reply("354 go ahead")
                await writer.drain()
                lines = []
                while True:
                    data_line = await reader.readline()
                    if data_line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data_line[1:] if data_line.startswith(b".") else data_line)
                self.messages.append({**envelope, "data": b"".join(lines)})
                reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 ok")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            else:
                reply("502 not implemented")
            await writer.drain()
        writer.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def self_signed_tls(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (no CA trusts it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
