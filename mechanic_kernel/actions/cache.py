"""The ``cache`` action and the cache it writes: JSON values under keys, each with a TTL (spec §4.3, §6).

Task code reads the cache through the ``cache`` variable (:meth:`Cache.view`, a snapshot-free lazy mapping),
cache endpoints serve single keys over HTTP, and only this action writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..errors import InvalidInput
from ..errors import NotFound
from .base import ActionContext
from .base import ActionError

if TYPE_CHECKING:
    from ..store.contract import CacheStore

KEY = re.compile(r"^[a-z0-9_:\-./]+$", re.IGNORECASE)
MAX_VALUE_BYTES = 256 * 1024
MAX_TTL = 5_184_000  # 60 days, also the default (spec §6)
COMMANDS = {
    # command: positional argument names after the key
    "set": ("value",),
    "setex": ("ttl", "value"),
    "del": (),
    "incr": (),
    "incrby": ("increment",),
    "decr": (),
    "decrby": ("decrement",),
}


def parse_command(options: Any) -> tuple[str, str, dict[str, Any]]:
    """``(command, key, arguments)`` from positional (``["set", "k", 1]``) or verbose (``{"set": {…}}``) form.

    Raises:
        ActionError: an unknown command, a missing argument, a bad key, TTL or increment.
    """
    if isinstance(options, list):
        if not options or not isinstance(options[0], str):
            raise ActionError('cache options must start with a command, e.g. ["set", "key", "value"]')
        command = options[0].lower()
        if command not in COMMANDS:
            raise ActionError(f"unknown cache command {options[0]!r}; known: {', '.join(COMMANDS)}")
        names = COMMANDS[command]
        if len(options) != 2 + len(names):
            usage = " ".join([command, "key", *names])
            raise ActionError(f"cache {command} takes {1 + len(names)} argument(s): {usage}")
        key, arguments = options[1], dict(zip(names, options[2:], strict=True))
    elif isinstance(options, Mapping) and len(options) == 1:
        command, body = next(iter(options.items()))
        command = str(command).lower()
        if command not in COMMANDS:
            raise ActionError(f"unknown cache command {command!r}; known: {', '.join(COMMANDS)}")
        if not isinstance(body, Mapping) or "key" not in body:
            raise ActionError(f'verbose cache options look like {{"{command}": {{"key": "k", ...}}}}')
        unknown = set(body) - {"key", "ttl", *COMMANDS[command]}
        if unknown:
            raise ActionError(f"cache {command}: unknown option(s) {', '.join(sorted(unknown))}")
        missing = [name for name in COMMANDS[command] if name not in body]
        if missing:
            raise ActionError(f"cache {command}: missing {', '.join(missing)}")
        key, arguments = body["key"], {name: value for name, value in body.items() if name != "key"}
    else:
        raise ActionError('cache options are ["command", "key", ...] or {"command": {"key": ..., ...}}')
    check_key(key)
    if "ttl" in arguments:
        arguments["ttl"] = _ttl(arguments["ttl"])
    for name in ("increment", "decrement"):
        if name in arguments and (isinstance(arguments[name], bool) or not isinstance(arguments[name], int)):
            raise ActionError(f"cache {command}: {name} must be a whole number, got {arguments[name]!r}")
    if "value" in arguments:
        size = len(json.dumps(arguments["value"], ensure_ascii=False).encode())
        if size > MAX_VALUE_BYTES:
            raise ActionError(f"cache value for {key!r} is {size} bytes of JSON; "
                              f"the limit is {MAX_VALUE_BYTES}")
    return command, key, arguments


def check_key(key: Any) -> str:
    """Return a valid cache key.

    Raises:
        ActionError: a key with characters other than letters, digits and ``_ : - . /``.
    """
    if not isinstance(key, str) or not KEY.match(key):
        raise ActionError(f"invalid cache key {key!r}: use letters, digits and _ : - . / only")
    return key


def _ttl(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ActionError(f"cache ttl must be a positive number of seconds, got {value!r}")
    # Longer than the maximum is clamped, not refused (spec §6 leaves it open; docs/decisions.md, "Runs").
    return min(int(value), MAX_TTL)


def _number(key: str, found: bool, value: Any) -> int:
    if not found or value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ActionError(f"cache key {key!r} holds {json.dumps(value)[:60]}, not a number")
    try:
        return int(value)
    except ValueError:
        raise ActionError(f"cache key {key!r} holds {value!r}, not a whole number") from None


class Cache:
    """The cache of one workbench: reads for everyone, commands for the cache action."""

    def __init__(self, store: CacheStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def __repr__(self) -> str:
        return f"Cache({len(self.items())} keys)"

    def _now(self, now: dt.datetime | None = None) -> str:
        return isoformat(now or self._clock.now())

    # -- reading ---------------------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """The live value of ``key``, else ``default``."""
        found, value = self._store.get(key, self._now())
        return value if found else default

    def __getitem__(self, key: str) -> Any:
        found, value = self._store.get(key, self._now())
        if not found:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._store.get(key, self._now())[0]

    def items(self) -> dict[str, Any]:
        """Every live key and value."""
        return dict(self._store.items(self._now()))

    def expires_at(self, key: str) -> str | None:
        """When a live key expires (ISO-8601), or None."""
        return self._store.expiry(key, self._now())

    def view(self) -> CacheView:
        """The read-only ``cache`` variable of task code and event filters."""
        return CacheView(self._store, self._now())

    # -- writing (the cache action) --------------------------------------------------------------------------
    def execute(self, options: Any, now: dt.datetime | None = None) -> Any:
        """Run one cache command; every command resets the key's TTL (to ``ttl`` or the 60-day default).

        Returns:
            Redis-like: ``"OK"`` for set/setex, 1 or 0 (keys removed) for del, the new number for
            incr/incrby/decr/decrby.

        Raises:
            ActionError: bad options, or a number command on a non-numeric value.
        """
        command, key, arguments = parse_command(options)
        moment = now or self._clock.now()
        expires_at = isoformat(moment + dt.timedelta(seconds=arguments.get("ttl", MAX_TTL)))

        def change(found: bool, value: Any) -> tuple[str, Any, Any]:
            if command in ("set", "setex"):
                return "put", (arguments["value"], expires_at), "OK"
            if command == "del":
                return "del", None, 1 if found else 0
            step = {"incr": 1, "decr": -1}.get(command)
            if step is None:
                step = arguments["increment"] if command == "incrby" else -arguments["decrement"]
            number = _number(key, found, value) + step
            return "put", (number, expires_at), number

        return self._store.update(key, self._now(moment), change)

    # -- endpoints -------------------------------------------------------------------------------------------
    def add_endpoint(self, key: str) -> dict[str, Any]:
        """A cache endpoint for ``key``: ``GET /mechanic/cache/<id>`` answers the key's value as JSON.

        Raises:
            InvalidInput: a bad key.
        """
        try:
            check_key(key)
        except ActionError as exc:
            raise InvalidInput(exc.message) from None
        return self._store.add_endpoint(key, self._now())

    def endpoints(self) -> list[dict[str, Any]]:
        """Every cache endpoint (``id``, ``key``, ``created_at``)."""
        return self._store.endpoints()

    def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        """One endpoint.

        Raises:
            NotFound: no such endpoint.
        """
        endpoint = self._store.endpoint(endpoint_id)
        if endpoint is None:
            raise NotFound(f"no cache endpoint with id {endpoint_id!r}")
        return endpoint

    def remove_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint.

        Raises:
            NotFound: no such endpoint.
        """
        if not self._store.remove_endpoint(endpoint_id):
            raise NotFound(f"no cache endpoint with id {endpoint_id!r}")


class CacheView(Mapping[str, Any]):
    """The cache as task code sees it at one moment: ``cache["k"]``, ``cache.k``, ``{% for kv in cache %}``.

    Single keys are read on demand; iterating loads every live entry once.
    """

    def __init__(self, store: CacheStore, now: str) -> None:
        self._store = store
        self._now = now
        self._all: dict[str, Any] | None = None

    def _everything(self) -> dict[str, Any]:
        if self._all is None:
            self._all = dict(self._store.items(self._now))
        return self._all

    def __getitem__(self, key: str) -> Any:
        if self._all is not None:
            return self._all[key]
        if not isinstance(key, str):
            raise KeyError(key)
        found, value = self._store.get(key, self._now)
        if not found:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


class CacheAction:
    """Runs one cache command (positional or verbose options) against the workbench's cache."""

    name = "cache"

    def validate(self, options: Any) -> None:
        """Check the command, key, TTL, increments and value size.

        Raises:
            ActionError: naming the problem.
        """
        parse_command(options)

    async def perform(self, options: Any, context: ActionContext) -> Any:
        """Run the command; the result is Redis-like (see :meth:`Cache.execute`)."""
        cache = context.services.get("cache")
        if cache is None:
            raise ActionError("the cache is not available to this action run")
        # The write waits for a commit; wait on a thread so the worker's loop keeps serving meanwhile.
        return await asyncio.get_running_loop().run_in_executor(None, cache.execute, options, context.now)


ACTION = CacheAction()
