"""object_pool, remedy release_after_use: put the buffer back only after its last use.

The pool was never the problem; the lifetime was. Once ``put`` comes after the send, a
buffer in the pool is a buffer nobody uses.
"""

import threading


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
    sent.append(bytes(buf[:]))  # last use...
    pool.put(buf)  # ...then release


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
