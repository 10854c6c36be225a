"""Secret references: opaque in output, resolvable only on purpose."""

from __future__ import annotations

import pytest

from mechanic_kernel.liquid.secrets import SecretReference
from mechanic_kernel.liquid.secrets import Secrets
from mechanic_kernel.liquid.secrets import reveal


def test_reference_prints_placeholder() -> None:
    assert str(SecretReference("api_key")) == "[secret api_key]"


def test_secrets_mapping_gives_references_for_known_keys_only() -> None:
    secrets = Secrets(["a"])
    assert secrets["a"] == SecretReference("a")
    assert "b" not in secrets
    assert list(secrets) == ["a"]
    with pytest.raises(KeyError):
        secrets["b"]


def test_reveal() -> None:
    assert reveal(SecretReference("a"), {"a": "raw"}) == "raw"
    assert reveal("plain", {"a": "raw"}) == "plain"
    with pytest.raises(KeyError):
        reveal(SecretReference("b"), {"a": "raw"})
