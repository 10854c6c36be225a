"""Random version-4 UUIDs from buffered OS randomness."""

from __future__ import annotations

import os
import threading
import time
import uuid

from mechanic_kernel import ids


def test_ids_are_canonical_version_4_uuids() -> None:
    for _ in range(1000):
        text = ids.uuid4()
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lower case, 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_ids_are_distinct_across_refills_and_threads() -> None:
    seen: list[str] = []

    def draw() -> None:
        seen.extend(ids.uuid4() for _ in range(5000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == len(set(seen)) == 20_000


def test_a_forked_child_does_not_reuse_the_parents_ids() -> None:
    ids.uuid4()  # the pool now holds ids this process will hand out
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        os.write(write, "".join(ids.uuid4() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode()
    os.close(read)
    os.waitpid(pid, 0)
    mine = {ids.uuid4() for _ in range(300)}
    assert not any(child[i:i + 36] in mine for i in range(0, len(child), 36))


def test_uuid7_is_a_canonical_version_7_uuid_ordered_by_time() -> None:
    first = ids.uuid7()
    parsed = uuid.UUID(first)
    assert str(parsed) == first
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    millis = int(first.replace("-", "")[:12], 16)
    assert abs(millis - time.time_ns() // 1_000_000) < 60_000
    time.sleep(0.002)
    later = ids.uuid7()
    assert later > first  # a later millisecond sorts after: the store's indexes append


def test_uuid7_is_distinct_within_one_millisecond() -> None:
    drawn = [ids.uuid7() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)
