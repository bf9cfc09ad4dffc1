"""``sync.Pool``-style object reuse: a buffer returned to the pool while still in use.

fasthttp recycles request contexts and buffers through ``sync.Pool`` to spare the
allocator. Reuse is only safe after the last use: a handler that puts its buffer back
and then sends it lets another handler take the same buffer and overwrite it first.
"""

import threading

EXPECTED_FAILURE = "assertion"


class BufferPool:
    def __init__(self) -> None:
        self.free = [bytearray()]

    def get(self) -> bytearray:
        try:
            buf = self.free.pop()
        except IndexError:
            buf = bytearray()
        buf.clear()
        return buf

    def put(self, buf: bytearray) -> None:
        self.free.append(buf)


def handle(pool: BufferPool, payload: bytes, sent: list[bytes]) -> None:
    buf = pool.get()
    buf.extend(payload)
    pool.put(buf)  # released while still in use...
    sent.append(bytes(buf[:]))  # ...then sent


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
