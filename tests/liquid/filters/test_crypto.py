"""Digest and signature filters, including secret references as keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
from operator import attrgetter

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from filtertools import Case
from filtertools import check
from filtertools import make_runtime
from filtertools import render
from liquid.exceptions import FilterArgumentError

from mechanic_kernel.liquid.secrets import Secrets


def _hex(algorithm: str, text: str) -> str:
    return hashlib.new(algorithm, text.encode()).hexdigest()


def _hmac(algorithm: str, key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), algorithm).hexdigest()


CASES = [
    Case("md5", '{{ "abc" | md5 }}', {}, _hex("md5", "abc")),
    Case("sha1", '{{ "abc" | sha1 }}', {}, _hex("sha1", "abc")),
    Case("sha256", '{{ "abc" | sha256 }}', {}, _hex("sha256", "abc")),
    Case("sha512", '{{ "abc" | sha512 }}', {}, _hex("sha512", "abc")),
    Case("sha256 utf-8", '{{ "é" | sha256 }}', {}, _hex("sha256", "é")),
    Case("sha256 number", "{{ 5 | sha256 }}", {}, _hex("sha256", "5")),
    Case("sha256 nil is empty", "{{ nope | sha256 }}", {}, _hex("sha256", "")),
    Case("md5 of binary", '{{ "/w==" | decode_base64 | md5 }}', {}, hashlib.md5(b"\xff").hexdigest()),
    Case("hmac_sha1", '{{ "msg" | hmac_sha1: "key" }}', {}, _hmac("sha1", "key", "msg")),
    Case("hmac_sha256", '{{ "msg" | hmac_sha256: "key" }}', {}, _hmac("sha256", "key", "msg")),
    Case("hmac_sha512", '{{ "msg" | hmac_sha512: "key" }}', {}, _hmac("sha512", "key", "msg")),
    Case("hmac without key", '{{ "msg" | hmac_sha256 }}', {}, FilterArgumentError),
    Case("hmac nil key", '{{ "msg" | hmac_sha256: nope }}', {}, FilterArgumentError),
    Case("rsa bad pem", '{{ "msg" | rsa_sha256: "not a key" }}', {}, FilterArgumentError),
    Case("rsa without key", '{{ "msg" | rsa_sha512 }}', {}, FilterArgumentError),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_crypto_filters(case: Case) -> None:
    check(case)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    ("name", "digest"), [("rsa_sha256", hashes.SHA256()), ("rsa_sha512", hashes.SHA512())]
)
def test_rsa_signature_verifies(rsa_key: rsa.RSAPrivateKey, name: str, digest: hashes.HashAlgorithm) -> None:
    template = f'{{{{ "payload" | {name}: pem, binary: true | base64_encode }}}}'
    signature = render(template, {"pem": _pem(rsa_key)})
    rsa_key.public_key().verify(base64.b64decode(signature), b"payload", padding.PKCS1v15(), digest)


def test_rsa_hex_by_default(rsa_key: rsa.RSAPrivateKey) -> None:
    signature = render('{{ "payload" | rsa_sha256: pem }}', {"pem": _pem(rsa_key)})
    rsa_key.public_key().verify(bytes.fromhex(signature), b"payload", padding.PKCS1v15(), hashes.SHA256())


def test_rsa_url_safe_for_jwt(rsa_key: rsa.RSAPrivateKey) -> None:
    template = '{{ "h.p" | rsa_sha256: pem, binary: true | base64_url_safe_encode }}'
    signature = base64.urlsafe_b64decode(render(template, {"pem": _pem(rsa_key)}))
    rsa_key.public_key().verify(signature, b"h.p", padding.PKCS1v15(), hashes.SHA256())


def test_rsa_rejects_non_rsa_key() -> None:
    with pytest.raises(FilterArgumentError, match="rsa_sha256: the key is not an RSA key"):
        render('{{ "x" | rsa_sha256: pem }}', {"pem": _pem(ec.generate_private_key(ec.SECP256R1()))})


def test_rsa_key_from_secret(rsa_key: rsa.RSAPrivateKey) -> None:
    runtime = make_runtime(secrets={"pem": _pem(rsa_key)})
    signature = render(
        '{{ "x" | rsa_sha512: secrets.pem, binary: true | base64_encode }}',
        {"secrets": Secrets(["pem"])},
        runtime,
    )
    rsa_key.public_key().verify(base64.b64decode(signature), b"x", padding.PKCS1v15(), hashes.SHA512())


@pytest.mark.parametrize("name", ["hmac_sha1", "hmac_sha256", "hmac_sha512"])
def test_hmac_with_secret_uses_raw_value(name: str) -> None:
    runtime = make_runtime(secrets={"k": "raw-secret"})
    rendered = render(f'{{{{ "x" | {name}: secrets.k }}}}', {"secrets": Secrets(["k"])}, runtime)
    assert rendered == _hmac(name.removeprefix("hmac_"), "raw-secret", "x")


def test_secret_missing_from_runtime_is_an_error() -> None:
    with pytest.raises(FilterArgumentError, match="secret 'k' is not configured"):
        render('{{ "x" | hmac_sha256: secrets.k }}', {"secrets": Secrets(["k"])}, make_runtime())
