"""shared_file, remedy atomic: ``os.pwrite`` writes at an explicit offset in one system call.

A positioned write never reads or moves the shared file position, so there is no
seek-then-write window at all.
"""

import os
import tempfile
import threading

RECORD = 4


def _write_record(fd: int, slot: int, data: bytes) -> None:
    os.pwrite(fd, data, slot * RECORD)


def run_writers(path: str) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        threads = [
            threading.Thread(target=_write_record, args=(fd, 0, b"AAAA")),
            threading.Thread(target=_write_record, args=(fd, 1, b"BBBB")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        os.close(fd)


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
