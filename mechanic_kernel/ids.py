"""Random version-4 UUIDs as strings, cheaply: one ``os.urandom`` call serves many ids.

``str(uuid.uuid4())`` makes one ``getrandom`` system call per id; on the ingest hot path (two ids per webhook
request) that is measurable. The bytes still come from the OS's CSPRNG, only fetched in blocks.
"""

from __future__ import annotations

import os
import time

_PER_REFILL = 256
_pool: list[str] = []


def _refill() -> list[str]:
    block = bytearray(os.urandom(16 * _PER_REFILL))
    ids = []
    for start in range(0, len(block), 16):
        block[start + 6] = (block[start + 6] & 0x0F) | 0x40  # version 4
        block[start + 8] = (block[start + 8] & 0x3F) | 0x80  # RFC 4122 variant
        h = block[start:start + 16].hex()
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


def uuid4() -> str:
    """A random UUID (version 4) in its canonical lower-case 36-character form, like ``str(uuid.uuid4())``."""
    try:
        return _pool.pop()  # list.pop is atomic under the GIL: no two threads get the same id
    except IndexError:
        _pool.extend(_refill())
        return _pool.pop()


def uuid7() -> str:
    """A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random bits.

    Rows keyed by it land at the end of their indexes instead of at random pages, which keeps the pages a
    busy store writes per event few (docs/decisions.md, "Webhook ingest").
    """
    millis = time.time_ns() // 1_000_000
    tail = bytearray(bytes.fromhex(uuid4().replace("-", ""))[6:])
    tail[0] = (tail[0] & 0x0F) | 0x70  # version 7
    h = millis.to_bytes(6, "big").hex() + tail.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _forget_after_fork() -> None:
    # A forked child must not hand out the ids its parent will also hand out.
    _pool.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
