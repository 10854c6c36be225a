"""File generators: plaintext, base64, url, zip (with and without password), pdf, and the 20 MB limit."""

from __future__ import annotations

import base64
import io
import os
import shutil
import stat
import subprocess
import zipfile
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from actiontools import run

from mechanic_kernel.actions import generators
from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.base import TransientActionError
from mechanic_kernel.actions.generators import MAX_FILE_SIZE
from mechanic_kernel.actions.generators import generate
from mechanic_kernel.actions.generators import generate_all
from mechanic_kernel.actions.generators import validate_generators


@dataclass
class Case:
    description: str
    name: str
    generator: Any
    data: bytes
    mime_type: str


CASES = [
    Case("plaintext", "a.txt", "hi", b"hi", "text/plain"),
    Case("plaintext is UTF-8", "a.txt", "héllo", "héllo".encode(), "text/plain"),
    Case("plaintext without extension is text", "README", "x", b"x", "text/plain"),
    Case("plaintext csv keeps its type", "a.csv", "a,b", b"a,b", "text/csv"),
    Case("base64", "b.bin", {"base64": "aGk="}, b"hi", "application/octet-stream"),
    Case("base64 with line breaks", "b.png", {"base64": "aG\nk="}, b"hi", "image/png"),
    Case("empty plaintext", "e.txt", "", b"", "text/plain"),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_generate(case: Case) -> None:
    file = run(generate(case.name, case.generator, "files"))
    assert (file.data, file.mime_type, file.size) == (case.data, case.mime_type, len(case.data))


def _nested_zip(depth: int) -> dict[str, Any]:
    files: dict[str, Any] = {"x.txt": "x"}
    for _ in range(depth):
        files = {"z.zip": {"zip": {"files": files}}}
    return files


@dataclass
class Bad:
    description: str
    files: Any
    message: str


BAD = [
    Bad("not an object", ["a"], "must be an object"),
    Bad("number generator", {"a.txt": 1}, "a file generator is a string"),
    Bad("two generator keys", {"a": {"base64": "", "url": "http://x"}}, "exactly one"),
    Bad("unknown generator", {"a": {"docx": {}}}, "unknown file generator 'docx'"),
    Bad("bad base64", {"a": {"base64": "!!"}}, "not valid base64"),
    Bad("base64 not a string", {"a": {"base64": 5}}, "must be a base64 string"),
    Bad("url not http", {"a": {"url": "ftp://x/y"}}, "http:// or https://"),
    Bad("url with whitespace", {"a": {"url": "http://x/ y"}}, "whitespace"),
    Bad("pdf without html", {"a.pdf": {"pdf": {}}}, "html string"),
    Bad("pdf bad margin", {"a.pdf": {"pdf": {"html": "x", "margin_top": "1 furlong"}}}, "must be a length"),
    Bad("zip without files", {"a.zip": {"zip": {}}}, "with files"),
    Bad("zip empty password", {"a.zip": {"zip": {"files": {}, "password": ""}}}, "non-empty string"),
    Bad("zip unknown option", {"a.zip": {"zip": {"files": {}, "level": 9}}}, "unknown option 'level'"),
    Bad("zip slip", {"a.zip": {"zip": {"files": {"../evil": "x"}}}}, "'.' or '..'"),
    Bad("slash in a file name", {"a/b.txt": "x"}, "must not contain '/'"),
    Bad("dot-dot name", {"..": "x"}, "'.' or '..'"),
    Bad("empty name", {"": "x"}, "non-empty string"),
    Bad("control character in a name", {"a\nb": "x"}, "control character"),
    Bad("backslash in a name", {"a\\b": "x"}, "backslash"),
    Bad("overlong name", {"a" * 300: "x"}, "longer than 255 bytes"),
    Bad("zips nested too deep", _nested_zip(7), "nested more than 5"),
]


@pytest.mark.parametrize("case", BAD, ids=attrgetter("description"))
def test_malformed_generators_are_refused(case: Bad) -> None:
    with pytest.raises(ActionError, match=case.message.replace("(", r"\(").replace("[", r"\[")):
        validate_generators(case.files, "files")
        run(generate_all(case.files, "files"))


def test_102_a_generated_file_over_20_mb_fails() -> None:
    run(generate("ok.txt", "x" * MAX_FILE_SIZE, "files"))  # exactly 20 MB is allowed
    with pytest.raises(ActionError, match="limited to 20971520 bytes"):
        run(generate("big.txt", "x" * (MAX_FILE_SIZE + 1), "files"))
    with pytest.raises(ActionError, match="larger than 20971520"):
        run(generate("big.bin", {"base64": "A" * ((MAX_FILE_SIZE // 3 + 1) * 4 + 2048)}, "files"))


def test_url_generator_downloads(echo_server: Any) -> None:
    file = run(generate("page.txt", {"url": f"{echo_server.url}/text?text=abc"}, "files"))
    assert file.data == b"abc"


def test_url_generator_follows_redirects(echo_server: Any) -> None:
    file = run(generate("echo.json", {"url": f"{echo_server.url}/redirect"}, "files"))
    assert b'"query": "redirected=1"' in file.data


def test_url_generator_over_20_mb_fails_without_reading_it_all(echo_server: Any) -> None:
    with pytest.raises(ActionError, match="larger than 20971520 bytes"):
        run(generate("big.bin", {"url": f"{echo_server.url}/bytes/{MAX_FILE_SIZE + 1}"}, "files"))


def test_url_generator_errors(echo_server: Any, closed_port: int) -> None:
    with pytest.raises(ActionError, match="answered 404"):
        run(generate("x", {"url": f"{echo_server.url}/status/404"}, "files"))
    with pytest.raises(TransientActionError, match="answered 503"):
        run(generate("x", {"url": f"{echo_server.url}/status/503"}, "files"))
    with pytest.raises(TransientActionError, match="could not download"):
        run(generate("x", {"url": f"http://127.0.0.1:{closed_port}/"}, "files"))


def test_101_zip_contains_each_named_file() -> None:
    file = run(
        generate("a.zip", {"zip": {"files": {"a.txt": "hi", "dir/b.bin": {"base64": "aGk="}}}}, "files")
    )
    assert file.mime_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == {
            "a.txt": b"hi",
            "dir/b.bin": b"hi",
        }


def test_101_zip_with_password_is_encrypted_with_zipcrypto() -> None:
    files = {"secret.txt": "hush " * 100, "dir/b.bin": {"base64": "aGk="}, "ü.txt": "u"}
    file = run(generate("a.zip", {"zip": {"files": files, "password": "pw"}}, "files"))
    assert b"hush" not in file.data
    with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
        assert archive.namelist() == ["secret.txt", "dir/b.bin", "ü.txt"]
        assert all(info.flag_bits & 0x1 for info in archive.infolist())  # the encrypted bit
        with pytest.raises(RuntimeError, match="password required"):
            archive.read("secret.txt")
        with pytest.raises(RuntimeError, match="Bad password"):
            archive.read("secret.txt", pwd=b"wrong")
        # The stdlib decrypts ZipCrypto only, so reading back proves the cipher and the CRC check byte.
        assert archive.read("secret.txt", pwd=b"pw") == b"hush " * 100
        assert archive.read("dir/b.bin", pwd=b"pw") == b"hi"
        assert archive.read("ü.txt", pwd=b"pw") == b"u"


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_zipcrypto_archive_opens_with_unzip(tmp_path: Path) -> None:
    file = run(generate("a.zip", {"zip": {"files": {"a.txt": "hi"}, "password": "pw"}}, "files"))
    (tmp_path / "a.zip").write_bytes(file.data)
    subprocess.run(["unzip", "-q", "-P", "pw", "a.zip"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.txt").read_text() == "hi"


def test_archive_over_20_mb_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generators, "MAX_FILE_SIZE", 1000)
    noise = base64.b64encode(os.urandom(600)).decode()
    with pytest.raises(ActionError, match="the archive is larger than 1000 bytes"):
        run(generate("a.zip", {"zip": {"files": {"a": {"base64": noise}, "b": {"base64": noise}}}}, "files"))


def test_zip_of_zips() -> None:
    inner = {"zip": {"files": {"x.txt": "x"}}}
    file = run(generate("outer.zip", {"zip": {"files": {"inner.zip": inner}}}, "files"))
    with zipfile.ZipFile(io.BytesIO(file.data)) as outer:
        with zipfile.ZipFile(io.BytesIO(outer.read("inner.zip"))) as archive:
            assert archive.read("x.txt") == b"x"


def test_pdf_without_chromium_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generators, "find_chromium", lambda: None)
    with pytest.raises(ActionError, match=r"needs Chromium.*apt-get install chromium"):
        run(generate("a.pdf", {"pdf": {"html": "<p>hi</p>"}}, "files"))


def _fake_chromium(tmp_path: Path, exit_code: int = 0) -> str:
    """A stand-in for Chromium that copies its HTML input into the --print-to-pdf file."""
    script = tmp_path / "chromium"
    script.write_text(f"""#!/bin/sh
for arg in "$@"; do
  case "$arg" in --print-to-pdf=*) out="${{arg#--print-to-pdf=}}";; file://*) src="${{arg#file://}}";; esac
done
printf '%s\\n' "$@" > "{tmp_path}/args"
[ {exit_code} -eq 0 ] || {{ echo "renderer crashed" >&2; exit {exit_code}; }}
{{ printf '%%PDF-1.4\\n'; cat "$src"; }} > "$out"
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_pdf_is_rendered_by_headless_chromium_with_page_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MECHANIC_CHROMIUM", _fake_chromium(tmp_path))
    options = {"html": "<p>hi</p>", "page_size": "A4", "orientation": "landscape", "margin_top": "1in"}
    file = run(generate("a.pdf", {"pdf": options}, "files"))
    assert file.mime_type == "application/pdf"
    assert file.data.startswith(b"%PDF-1.4\n<style>@page { size: A4 landscape; margin-top: 1in; }</style>")
    assert file.data.endswith(b"<p>hi</p>")
    args = (tmp_path / "args").read_text().split("\n")
    assert {"--headless", "--no-sandbox", "--disable-gpu"} <= set(args)


def test_pdf_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MECHANIC_CHROMIUM", _fake_chromium(tmp_path, exit_code=3))
    with pytest.raises(ActionError, match="exit 3: renderer crashed"):
        run(generate("a.pdf", {"pdf": {"html": "x"}}, "files"))


@pytest.mark.skipif(
    not generators.CHROMIUM_NAMES
    or generators.find_chromium() is None
    or bool(os.environ.get("MECHANIC_CHROMIUM")),
    reason="Chromium is not installed",
)
def test_pdf_with_real_chromium() -> None:
    file = run(generate("a.pdf", {"pdf": {"html": "<h1>Hello</h1>"}}, "files"))
    assert file.data.startswith(b"%PDF")


def test_base64_round_trip_of_binary() -> None:
    data = bytes(range(256))
    file = run(generate("b.bin", {"base64": base64.b64encode(data).decode()}, "files"))
    assert file.data == data
