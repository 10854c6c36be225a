"""Secret references: what ``secrets.<key>`` evaluates to in task code.

Mechanic never lets a secret's value reach task output (spec §8.4). ``secrets.k`` is therefore an
opaque :class:`SecretReference` that prints as a placeholder; only the places allowed to see the raw
value (the signing filters here, the HTTP and FTP actions elsewhere) resolve it with :func:`reveal`.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

REDACTION_MARKER = "__mechanic_secret_value_redacted__"
"""Mechanic's documented marker for a redacted secret (spec §8.4)."""


class SecretReference:
    """An opaque handle on one secret; its text is a placeholder, never the value.

    The placeholder format is not documented by Mechanic (spec Appendix B); we print
    ``[secret <key>]`` so a reader of a log can tell *which* secret would have been used, without
    seeing it (recorded in docs/decisions.md, "Filters").

    Attributes:
        key: the secret's key (``k`` for ``secrets.k``).
    """

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"[secret {self.key}]"

    def __repr__(self) -> str:
        return f"SecretReference({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretReference) and other.key == self.key

    def __hash__(self) -> int:
        return hash(("secret", self.key))

    def __liquid__(self) -> str:
        # Used as a hash key or compared in a template, a reference behaves like its placeholder.
        return str(self)


class Secrets(Mapping[str, SecretReference]):
    """The ``secrets`` variable: a reference for every configured key, nil for any other key.

    Args:
        keys: the keys of the secrets configured for the shop (values are never held here).
    """

    def __init__(self, keys: Mapping[str, Any] | list[str] | tuple[str, ...]) -> None:
        self._keys = list(keys)

    def __getitem__(self, key: str) -> SecretReference:
        if key not in self._keys:
            raise KeyError(key)
        return SecretReference(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def reveal(value: object, secrets: Mapping[str, str]) -> object:
    """The raw value behind ``value`` when it is a secret reference, else ``value`` unchanged.

    Args:
        value: any Liquid value.
        secrets: raw secret values by key (``Runtime.secrets``).

    Returns:
        The secret's raw string, or ``value`` itself.

    Raises:
        KeyError: ``value`` refers to a secret that is not configured.
    """
    if isinstance(value, SecretReference):
        return secrets[value.key]
    return value
