"""Digest and signature filters: md5, sha1/256/512, hmac_sha1/256/512 and rsa_sha256/512.

The keyed filters accept a secret reference (``secrets.k``) as key and sign with the raw value, which
never leaves the filter (spec §8.4).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from liquid.filter import with_context

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_bool
from mechanic_kernel.liquid.filters.data import BinaryString
from mechanic_kernel.liquid.filters.data import to_bytes
from mechanic_kernel.liquid.runtime import runtime_of
from mechanic_kernel.liquid.secrets import SecretReference

if TYPE_CHECKING:
    from liquid import RenderContext


def md5(value: object) -> str:
    """The MD5 digest of a string, as lowercase hex."""
    return hashlib.md5(to_bytes(value), usedforsecurity=False).hexdigest()


def sha1(value: object) -> str:
    """The SHA-1 digest of a string, as lowercase hex."""
    return hashlib.sha1(to_bytes(value), usedforsecurity=False).hexdigest()


def sha256(value: object) -> str:
    """The SHA-256 digest of a string, as lowercase hex."""
    return hashlib.sha256(to_bytes(value)).hexdigest()


def sha512(value: object) -> str:
    """The SHA-512 digest of a string, as lowercase hex."""
    return hashlib.sha512(to_bytes(value)).hexdigest()


def _key(name: str, key: object, context: RenderContext) -> bytes:
    if isinstance(key, SecretReference):
        secrets = runtime_of(context).secrets
        if key.key not in secrets:
            raise argument_error(name, f"secret {key.key!r} is not configured")
        return to_bytes(secrets[key.key])
    if is_nil(key):
        raise argument_error(name, "a key is required")
    return to_bytes(key)


def _hmac(name: str, value: object, key: object, context: RenderContext, digest: str) -> str:
    return hmac.new(_key(name, key, context), to_bytes(value), digest).hexdigest()


@with_context
def hmac_sha1(value: object, key: object = None, *, context: RenderContext) -> str:
    """HMAC-SHA1 of a string with ``key`` (text or a secret reference), as lowercase hex.

    Raises:
        FilterArgumentError: no key, or a secret that is not configured.
    """
    return _hmac("hmac_sha1", value, key, context, "sha1")


@with_context
def hmac_sha256(value: object, key: object = None, *, context: RenderContext) -> str:
    """HMAC-SHA256 of a string with ``key`` (text or a secret reference), as lowercase hex.

    Raises:
        FilterArgumentError: no key, or a secret that is not configured.
    """
    return _hmac("hmac_sha256", value, key, context, "sha256")


@with_context
def hmac_sha512(value: object, key: object = None, *, context: RenderContext) -> str:
    """HMAC-SHA512 of a string with ``key`` (text or a secret reference), as lowercase hex.

    Raises:
        FilterArgumentError: no key, or a secret that is not configured.
    """
    return _hmac("hmac_sha512", value, key, context, "sha512")


def _rsa(
    name: str,
    value: object,
    pem: object,
    binary: object,
    context: RenderContext,
    digest: hashes.HashAlgorithm,
) -> str:
    try:
        key = serialization.load_pem_private_key(_key(name, pem, context), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        raise argument_error(name, f"the key is not an unencrypted PEM private key: {err}") from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise argument_error(name, f"the key is not an RSA key but {type(key).__name__}")
    # PKCS#1 v1.5 is what Ruby's OpenSSL::PKey::RSA#sign produces, and what JWT RS256/RS512 expect.
    signature = key.sign(to_bytes(value), padding.PKCS1v15(), digest)
    return BinaryString(signature) if to_bool(binary) else signature.hex()


@with_context
def rsa_sha256(value: object, pem: object = None, *, context: RenderContext, binary: object = False) -> str:
    """RSA (PKCS#1 v1.5) signature over SHA-256.

    Args:
        value: the message.
        pem: a PEM private key (text or a secret reference).
        context: the render context (for secrets).
        binary: true for the raw signature bytes (pipe into ``base64_url_safe_encode`` for a JWT);
            lowercase hex otherwise.

    Raises:
        FilterArgumentError: no key, or not an unencrypted RSA PEM private key.
    """
    return _rsa("rsa_sha256", value, pem, binary, context, hashes.SHA256())


@with_context
def rsa_sha512(value: object, pem: object = None, *, context: RenderContext, binary: object = False) -> str:
    """RSA (PKCS#1 v1.5) signature over SHA-512; see :func:`rsa_sha256`.

    Raises:
        FilterArgumentError: no key, or not an unencrypted RSA PEM private key.
    """
    return _rsa("rsa_sha512", value, pem, binary, context, hashes.SHA512())
