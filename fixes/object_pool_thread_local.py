"""object_pool, remedy thread_local: each thread keeps its own cached buffer.

``sync.Pool`` itself keeps a private cache per processor for the same reason. A buffer
that only one thread can ever get cannot be reused under another thread's feet.
"""

import threading


class BufferPool:
    def __init__(self) -> None:
        self.local = threading.local()

    def get(self) -> bytearray:
        buf = getattr(self.local, "buf", None)
        if buf is None:
            buf = bytearray()
        self.local.buf = None
        buf.clear()
        return buf

    def put(self, buf: bytearray) -> None:
        self.local.buf = buf  # back into this thread's private cache


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
