"""shared_file, remedy mutex: seek and write happen under one lock, so the position is ours until the write."""

import os
import tempfile
import threading

RECORD = 4


def _write_record(f, lock: threading.Lock, slot: int, data: bytes) -> None:
    with lock:
        f.seek(slot * RECORD)
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
