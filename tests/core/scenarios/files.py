"""Tracked files: a handle's offset is shared by every thread that uses it."""

import os
import tempfile
import threading

RECORD = 4


def _append_records(locked):
    """Two threads append one record each: find the end, seek there, write."""
    fd, path = tempfile.mkstemp(prefix="racelab-test-")
    os.close(fd)
    try:
        lock = threading.Lock()
        with open(path, "r+b") as f:
            def append(record):
                if locked:
                    lock.acquire()
                end = f.seek(0, os.SEEK_END)
                f.seek(end)
                f.write(record)
                if locked:
                    lock.release()

            ts = [threading.Thread(target=append, args=(r,)) for r in (b"AAAA", b"BBBB")]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            f.flush()
            f.seek(0)
            data = f.read()
    finally:
        os.unlink(path)
    assert sorted([data[:RECORD], data[RECORD:]]) == [b"AAAA", b"BBBB"], f"a record was overwritten: {data!r}"
    return data


def scenario_ok_locked_appends():
    _append_records(locked=True)


def scenario_bug_unlocked_seek_then_write():
    _append_records(locked=False)
