"""object_pool, WRONG fix: a lock inside the pool's get and put.

A thread-safe pool hands each buffer to one taker at a time, and that was already
true (``list.pop`` and ``list.append`` are atomic). The bug is that the handler keeps
using the buffer after giving it back; no lock inside the pool can see that.
"""

import threading

EXPECTED_FAILURE = "assertion"


class BufferPool:
    def __init__(self) -> None:
        self.free = [bytearray()]
        self.lock = threading.Lock()

    def get(self) -> bytearray:
        with self.lock:
            buf = self.free.pop() if self.free else bytearray()
        buf.clear()
        return buf

    def put(self, buf: bytearray) -> None:
        with self.lock:
            self.free.append(buf)


def handle(pool: BufferPool, payload: bytes, sent: list[bytes]) -> None:
    buf = pool.get()
    buf.extend(payload)
    pool.put(buf)
    sent.append(bytes(buf[:]))


def scenario_object_pool() -> tuple[bytes, ...]:
    pool = BufferPool()
    sent: list[bytes] = []
    threads = [threading.Thread(target=handle, args=(pool, p, sent)) for p in (b"ann", b"bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [b"ann", b"bob"], f"a buffer was reused while in use: sent {sent}"
    return tuple(sorted(sent))
