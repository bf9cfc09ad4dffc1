"""shared_file, remedy thread_local: each thread opens its own handle, so each has its own file position.

The file is shared, the position is not: records at different offsets no longer
interfere.
"""

import os
import tempfile
import threading

RECORD = 4


def _write_record(path: str, slot: int, data: bytes) -> None:
    with open(path, "r+b") as f:  # a private handle, a private position
        f.seek(slot * RECORD)
        f.write(data)


def run_writers(path: str) -> None:
    threads = [
        threading.Thread(target=_write_record, args=(path, 0, b"AAAA")),
        threading.Thread(target=_write_record, args=(path, 1, b"BBBB")),
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
