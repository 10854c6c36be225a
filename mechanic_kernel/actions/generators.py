"""File generators: the ``{TYPE: OPTIONS}`` objects (or strings) that files, email and http turn into bytes.

Mechanic's generators (spec §4.6) are plaintext (a JSON string), ``base64``, ``url``, ``pdf`` and ``zip``.
Every generated file, and every file downloaded by a ``url`` generator, is at most 20 MB.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import mimetypes
import os
import re
import secrets
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient
from tornado.httpclient import HTTPClientError
from tornado.httpclient import HTTPRequest
from tornado.httpclient import HTTPResponse

from .base import ActionError
from .base import TransientActionError

MAX_FILE_SIZE = 20 * 1024 * 1024
"""Mechanic's limit for one generated file (and for a ``url`` download, also inside a zip)."""

GENERATOR_TYPES = ("base64", "url", "pdf", "zip")

# Zips may hold zips; a bound keeps a hostile (or accidentally recursive) option tree from exhausting memory.
MAX_ZIP_DEPTH = 5
MAX_NAME_LENGTH = 255
DOWNLOAD_CONNECT_TIMEOUT = 10.0
DOWNLOAD_REQUEST_TIMEOUT = 60.0
PDF_TIMEOUT = 60.0

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executables tried, in order, when ``MECHANIC_CHROMIUM`` does not name one."""

# Pdfcrowd (v20.10) page options Chromium can honour through a CSS @page rule; the others are ignored.
_PDF_LENGTH = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt|px)$")
_PDF_PAGE_SIZES = {
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "letter",
    "legal",
    "ledger",
    "tabloid",
    "b4",
    "b5",
}
_PDF_MARGINS = ("margin_top", "margin_right", "margin_bottom", "margin_left")


@dataclass(frozen=True)
class GeneratedFile:
    """One generated file.

    Attributes:
        name: the file name the task gave it.
        data: its bytes.
        mime_type: its type, guessed from ``name``.
    """

    name: str
    data: bytes
    mime_type: str

    @property
    def size(self) -> int:
        """Length in bytes."""
        return len(self.data)


def mime_type_for(name: str) -> str:
    """The type of a file called ``name``, from its extension; ``application/octet-stream`` if unknown."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def check_file_name(name: Any, where: str, *, allow_folders: bool = False) -> str:
    """Validate a generated file's name.

    Names become file names on disk and in archives, so separators and dot segments are refused
    (zip entries may use ``/`` folders, but never ``..``: a zip-slip for whoever extracts them).

    Raises:
        ActionError: the name is empty, too long, or could escape its folder.
    """
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"{where}: a file name must be a non-empty string, got {name!r}")
    if len(name.encode("utf-8")) > MAX_NAME_LENGTH:
        raise ActionError(f"{where}: file name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} bytes")
    if any(ord(char) < 32 or char in "\\\x7f" for char in name):
        raise ActionError(f"{where}: file name {name!r} contains a control character or a backslash")
    parts = name.split("/")
    if not allow_folders and len(parts) > 1:
        raise ActionError(f"{where}: file name {name!r} must not contain '/'")
    if any(part in ("", ".", "..") for part in parts):
        raise ActionError(f"{where}: file name {name!r} must not be empty between '/' or be '.' or '..'")
    return name


def validate_generators(files: Any, where: str, *, allow_folders: bool = False, depth: int = 0) -> None:
    """Check a ``{filename: generator}`` object without generating anything.

    Args:
        files: the object to check.
        where: the option it came from, for error messages (``files``, ``attachments``…).
        allow_folders: whether names may contain ``/`` (inside zips).
        depth: zip nesting level of ``files``.

    Raises:
        ActionError: naming the first problem found.
    """
    if not isinstance(files, Mapping):
        raise ActionError(f"{where} must be an object of file name to file generator, got {_kind(files)}")
    for name, generator in files.items():
        check_file_name(name, where, allow_folders=allow_folders)
        validate_generator(generator, f"{where}.{name}", depth=depth)


def validate_generator(generator: Any, where: str, *, depth: int = 0) -> None:
    """Check one generator's shape.

    Raises:
        ActionError: an unknown generator type or malformed generator options.
    """
    if isinstance(generator, str):
        return
    if not isinstance(generator, Mapping) or len(generator) != 1:
        raise ActionError(
            f"{where}: a file generator is a string (the file's text) or an object with exactly one "
            f"of {', '.join(GENERATOR_TYPES)}; got {_kind(generator)}"
        )
    ((kind, options),) = generator.items()
    if kind == "base64":
        if not isinstance(options, str):
            raise ActionError(f"{where}.base64 must be a base64 string, got {_kind(options)}")
    elif kind == "url":
        _check_url(options, f"{where}.url")
    elif kind == "pdf":
        if not isinstance(options, Mapping) or not isinstance(options.get("html"), str):
            raise ActionError(f"{where}.pdf must be an object with an html string")
        _pdf_page_css(options, f"{where}.pdf")
    elif kind == "zip":
        if depth >= MAX_ZIP_DEPTH:
            raise ActionError(f"{where}: zips are nested more than {MAX_ZIP_DEPTH} deep")
        if not isinstance(options, Mapping) or not isinstance(options.get("files"), Mapping):
            raise ActionError(f"{where}.zip must be an object with files (file name to file generator)")
        unknown = set(options) - {"files", "password"}
        if unknown:
            raise ActionError(
                f"{where}.zip: unknown option {sorted(unknown)[0]!r}; expected files and password"
            )
        password = options.get("password")
        if password is not None and (not isinstance(password, str) or not password):
            raise ActionError(f"{where}.zip.password must be a non-empty string")
        validate_generators(options["files"], f"{where}.zip.files", allow_folders=True, depth=depth + 1)
    else:
        raise ActionError(
            f"{where}: unknown file generator {kind!r}; expected one of {', '.join(GENERATOR_TYPES)} "
            "(or a string for plain text)"
        )


async def generate_all(files: Mapping[str, Any], where: str) -> dict[str, GeneratedFile]:
    """Generate every file of a ``{filename: generator}`` object, in order.

    Raises:
        ActionError: bad options, a file over 20 MB, a failed download or rendering.
        TransientActionError: a download that may succeed later (connection error, timeout, 5xx).
    """
    validate_generators(files, where)
    return {name: await generate(name, generator, f"{where}.{name}") for name, generator in files.items()}


async def generate(name: str, generator: Any, where: str, *, depth: int = 0) -> GeneratedFile:
    """Generate one file.

    Args:
        name: its file name (its type is guessed from it).
        generator: a string (plain text) or ``{TYPE: OPTIONS}``.
        where: the option path, for error messages.
        depth: zip nesting level.

    Raises:
        ActionError: as :func:`generate_all`.
        TransientActionError: as :func:`generate_all`.
    """
    validate_generator(generator, where, depth=depth)
    plaintext = isinstance(generator, str)
    if plaintext:
        data = generator.encode("utf-8")
    else:
        ((kind, options),) = generator.items()
        if kind == "base64":
            data = _decode_base64(options, f"{where}.base64")
        elif kind == "url":
            data = await download(options, f"{where}.url")
        elif kind == "pdf":
            data = await render_pdf(options, f"{where}.pdf")
        else:
            data = await _zip(options, f"{where}.zip", depth)
    if len(data) > MAX_FILE_SIZE:
        raise ActionError(
            f"{where}: the generated file is {len(data)} bytes; files are limited to "
            f"{MAX_FILE_SIZE} bytes (20 MB)"
        )
    mime_type = mime_type_for(name)
    if plaintext and mime_type == "application/octet-stream":
        mime_type = "text/plain"  # text with no telling extension is still text
    return GeneratedFile(name=name, data=data, mime_type=mime_type)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def _check_url(url: Any, where: str) -> str:
    if not isinstance(url, str) or not re.match(r"^https?://[^/?#\s]+", url, re.IGNORECASE):
        raise ActionError(f"{where} must be an http:// or https:// URL, got {url!r}")
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise ActionError(f"{where}: the URL contains whitespace or a control character")
    return url


def _decode_base64(text: str, where: str) -> bytes:
    # Four base64 characters make three bytes: refuse before decoding anything that could only be too big.
    if len(text) > (MAX_FILE_SIZE // 3 + 1) * 4 + 1024:
        raise ActionError(f"{where}: the decoded file would be larger than {MAX_FILE_SIZE} bytes (20 MB)")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ActionError(f"{where} is not valid base64") from None


class BodyTooLarge(Exception):
    """A response body passed the caller's size limit."""


class _HideBodyTooLarge(logging.Filter):
    """Tornado logs a streaming callback's exception as uncaught; ours is deliberate, so it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], BodyTooLarge))


logging.getLogger("tornado.application").addFilter(_HideBodyTooLarge())


async def fetch_limited(
    request: HTTPRequest,
    limit: int,
    client: AsyncHTTPClient | None = None,
) -> tuple[HTTPResponse, bytes]:
    """Fetch ``request`` keeping at most ``limit`` bytes of the response body.

    Oversized bodies are detected from ``Content-Length`` or while streaming, and the connection is dropped
    then: the rest is never read.

    Raises:
        BodyTooLarge: the body is longer than ``limit``.
        HTTPClientError: a timeout or a closed connection.
        OSError: the connection could not be made.
    """
    chunks: list[bytes] = []
    received = 0
    too_big = False

    def on_header(line: str) -> None:
        nonlocal too_big
        if line.startswith("HTTP/"):
            too_big = False  # a new response (after a redirect) starts afresh
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit() and int(value) > limit:
            too_big = True

    def collect(chunk: bytes) -> None:
        nonlocal received, too_big
        received += len(chunk)
        if too_big or received > limit:
            too_big = True
            # Raising from the streaming callback is how Tornado lets a client stop reading a body.
            raise BodyTooLarge()
        chunks.append(chunk)

    request.streaming_callback = collect
    request.header_callback = on_header
    try:
        response = await (client or AsyncHTTPClient()).fetch(request, raise_error=False)
    except (BodyTooLarge, HTTPClientError, OSError):
        # Tornado reports an abandoned body as a closed connection; the flag says whose doing it was.
        if too_big:
            raise BodyTooLarge() from None
        raise
    if too_big:
        raise BodyTooLarge()
    return response, b"".join(chunks)


async def download(url: str, where: str) -> bytes:
    """Download ``url`` (following redirects), refusing more than 20 MB.

    Raises:
        ActionError: a 4xx answer or an oversized body.
        TransientActionError: a connection error, a timeout or a 5xx answer.
    """
    _check_url(url, where)
    request = HTTPRequest(
        url,
        follow_redirects=True,
        connect_timeout=DOWNLOAD_CONNECT_TIMEOUT,
        request_timeout=DOWNLOAD_REQUEST_TIMEOUT,
        decompress_response=True,
    )
    try:
        response, data = await fetch_limited(request, MAX_FILE_SIZE)
    except BodyTooLarge:
        raise ActionError(f"{where}: {url} is larger than {MAX_FILE_SIZE} bytes (20 MB)") from None
    except (TimeoutError, HTTPClientError, OSError) as exc:
        raise TransientActionError(f"{where}: could not download {url}: {exc}") from None
    except ValueError as exc:
        raise ActionError(f"{where}: cannot download {url}: {exc}") from None
    if response.code >= 500:
        raise TransientActionError(f"{where}: {url} answered {response.code}")
    if response.code >= 400:
        raise ActionError(f"{where}: {url} answered {response.code}")
    return data


async def _zip(options: Mapping[str, Any], where: str, depth: int) -> bytes:
    password = options.get("password")
    buffer = io.BytesIO()
    # Mechanic encrypts with ZipCrypto: weak, but every unzip tool (Windows Explorer included) opens it, which
    # is what a merchant mailing a password-protected export needs (docs/decisions.md, "Actions").
    archive: Any = (
        _ZipCryptoWriter(buffer, password.encode("utf-8"))
        if password
        else zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED)
    )
    with archive:
        # One member at a time, so memory holds one file plus the archive so far, never every file at once.
        for name, generator in options["files"].items():
            member = await generate(name, generator, f"{where}.files.{name}", depth=depth + 1)
            await asyncio.to_thread(archive.writestr, name, member.data)
            if buffer.tell() > MAX_FILE_SIZE:
                raise ActionError(f"{where}: the archive is larger than {MAX_FILE_SIZE} bytes (20 MB)")
    return buffer.getvalue()


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def _zipcrypto(data: bytes, password: bytes) -> bytes:
    """Encrypt with the traditional PKWARE stream cipher (APPNOTE.TXT 6.1), which the stdlib only decrypts."""
    table = _CRC_TABLE
    k0, k1, k2 = 0x12345678, 0x23456789, 0x34567890
    for byte in password:
        k0 = (k0 >> 8) ^ table[(k0 ^ byte) & 0xFF]
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = (k2 >> 8) ^ table[(k2 ^ (k1 >> 24)) & 0xFF]
    out = bytearray(len(data))
    for index, byte in enumerate(data):
        temp = (k2 | 2) & 0xFFFF
        out[index] = byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF)
        k0 = (k0 >> 8) ^ table[(k0 ^ byte) & 0xFF]
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = (k2 >> 8) ^ table[(k2 ^ (k1 >> 24)) & 0xFF]
    return bytes(out)


class _ZipCryptoWriter:
    """Writes a zip whose entries are encrypted with ZipCrypto (the stdlib and pyzipper cannot write one)."""

    _FLAGS = 0x0001 | 0x0800  # encrypted, UTF-8 names

    def __init__(self, buffer: io.BytesIO, password: bytes) -> None:
        self._out = buffer
        self._password = password
        self._central: list[bytes] = []
        moment = time.localtime()
        self._time = (moment.tm_hour << 11) | (moment.tm_min << 5) | (moment.tm_sec // 2)
        self._date = ((max(moment.tm_year, 1980) - 1980) << 9) | (moment.tm_mon << 5) | moment.tm_mday

    def __enter__(self) -> _ZipCryptoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()

    def writestr(self, name: str, data: bytes) -> None:
        """Add one member, deflated (or stored when deflating does not help), then encrypted."""
        if len(self._central) >= 0xFFFF:
            raise ActionError("a zip holds at most 65,535 files")
        crc = zlib.crc32(data)
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed, method = compressor.compress(data) + compressor.flush(), 8
        if len(packed) >= len(data):
            packed, method = data, 0
        # The 12-byte header ends with the CRC's high byte: how unzip tools check the password.
        encrypted = _zipcrypto(secrets.token_bytes(11) + bytes([crc >> 24]) + packed, self._password)
        encoded = name.encode("utf-8")
        offset = self._out.tell()
        fields = (self._FLAGS, method, self._time, self._date, crc, len(encrypted), len(data), len(encoded))
        self._out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *fields, 0) + encoded + encrypted)
        made_by = (3 << 8) | 20  # Unix, so the 0644 mode in the external attributes applies
        self._central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, made_by, 20, *fields, 0, 0, 0, 0, 0o644 << 16, offset
            )
            + encoded
        )

    def close(self) -> None:
        """Write the central directory and its end record."""
        start = self._out.tell()
        for entry in self._central:
            self._out.write(entry)
        size = self._out.tell() - start
        count = len(self._central)
        self._out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, 0))


def _pdf_page_css(options: Mapping[str, Any], where: str) -> str:
    """An ``@page`` rule for the Pdfcrowd page options Chromium understands.

    Raises:
        ActionError: a page option with a value Pdfcrowd would refuse too.
    """
    rules: list[str] = []
    size: str | None = None
    if options.get("page_size") is not None:
        page_size = str(options["page_size"]).lower()
        if page_size not in _PDF_PAGE_SIZES:
            raise ActionError(
                f"{where}.page_size {options['page_size']!r} is not one of "
                f"{', '.join(sorted(_PDF_PAGE_SIZES))}"
            )
        size = page_size.upper() if page_size[0] in "ab" else page_size
    width, height = options.get("page_width"), options.get("page_height")
    for key, value in (
        ("page_width", width),
        ("page_height", height),
        *((m, options.get(m)) for m in _PDF_MARGINS),
    ):
        if value is not None and (not isinstance(value, str) or not _PDF_LENGTH.match(value)):
            raise ActionError(
                f"{where}.{key} must be a length such as '8.27in', '210mm', '1cm', '12pt' or "
                f"'96px', got {value!r}"
            )
    if width and height:
        size = f"{width} {height}"
    orientation = options.get("orientation")
    if orientation is not None and orientation not in ("portrait", "landscape"):
        raise ActionError(f"{where}.orientation must be portrait or landscape")
    if size or orientation:
        rules.append(f"size: {size or ''} {orientation or ''};".replace("  ", " "))
    if options.get("no_margins") is True:
        rules.append("margin: 0;")
    for key in _PDF_MARGINS:
        if options.get(key) is not None:
            rules.append(f"{key.replace('_', '-')}: {options[key]};")
    return f"<style>@page {{ {' '.join(rules)} }}</style>" if rules else ""


def find_chromium() -> str | None:
    """The Chromium used for PDFs: ``MECHANIC_CHROMIUM``, else the first of :data:`CHROMIUM_NAMES` found."""
    configured = os.environ.get("MECHANIC_CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


async def render_pdf(options: Mapping[str, Any], where: str) -> bytes:
    """Render ``options["html"]`` to PDF with headless Chromium (Mechanic's Pdfcrowd is Chromium-based too).

    Raises:
        ActionError: Chromium is not installed, fails, or takes longer than a minute.
    """
    chromium = find_chromium()
    if chromium is None:
        raise ActionError(
            f"{where}: PDF generation needs Chromium, which is not installed here; install it "
            "(apt-get install chromium) or set MECHANIC_CHROMIUM to a Chromium/Chrome executable"
        )
    html = _pdf_page_css(options, where) + options["html"]
    with tempfile.TemporaryDirectory(prefix="mechanic-pdf-") as folder:
        source, target = Path(folder) / "page.html", Path(folder) / "page.pdf"
        source.write_text(html, encoding="utf-8")
        # A private profile per render: concurrent renders would otherwise fight over one profile lock.
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), PDF_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ActionError(
                f"{where}: Chromium took longer than {PDF_TIMEOUT:.0f} s to render the PDF"
            ) from None
        if process.returncode != 0 or not target.is_file():
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise ActionError(
                f"{where}: Chromium could not render the PDF (exit {process.returncode}: {detail[0]})"
            )
        if target.stat().st_size > MAX_FILE_SIZE:
            raise ActionError(f"{where}: the PDF is larger than {MAX_FILE_SIZE} bytes (20 MB)")
        return target.read_bytes()
