"""shared_file, WRONG fix: a lock around the write only.

The write is now exclusive, but the position it writes at was chosen by the ``seek``
outside the lock: another thread can move the position in between, and the locked
write lands in the wrong slot.
"""

import os
import tempfile
import threading

EXPECTED_FAILURE = "assertion"

RECORD = 4


def _write_record(f, lock: threading.Lock, slot: int, data: bytes) -> None:
    f.seek(slot * RECORD)
    with lock:  # too late: the position was already chosen
        f.write(data)


def run_writers(path: str) -> None:
    lock = threading.Lock()
    with open(path, "r+b") as f:
        threads = [
            threading.Thread(target=_write_record, args=(f, lock, 0, b"AAAA")),
            threading.Thread(target=_write_record, args=(f, lock, 1, b"BBBB")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def scenario_shared_file() -> bytes:
    fd, path = tempfile.mkstemp(prefix="racelab-")
    os.close(fd)
    try:
        run_writers(path)
        with open(path, "rb") as f:
            content = f.read()
    finally:
        os.unlink(path)
    assert content == b"AAAABBBB", f"records overwrote each other: {content!r}"
    return content
