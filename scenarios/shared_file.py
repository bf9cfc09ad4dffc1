"""A shared open file: two threads each seek, then write a fixed-size record.

An open file object has one position shared by every thread that uses it. ``seek``
then ``write`` is a check-then-act on that position: thread A seeks to its slot,
thread B seeks to its own, A writes at B's position and the records overwrite.
"""

import os
import tempfile
import threading

EXPECTED_FAILURE = "assertion"

RECORD = 4


def _write_record(f, slot: int, data: bytes) -> None:
    f.seek(slot * RECORD)
    f.write(data)


def scenario_shared_file() -> bytes:
    fd, path = tempfile.mkstemp(prefix="racelab-")
    os.close(fd)
    try:
        with open(path, "r+b") as f:
            threads = [
                threading.Thread(target=_write_record, args=(f, 0, b"AAAA")),
                threading.Thread(target=_write_record, args=(f, 1, b"BBBB")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        with open(path, "rb") as f:
            content = f.read()
    finally:
        os.unlink(path)
    assert content == b"AAAABBBB", f"records overwrote each other: {content!r}"
    return content
