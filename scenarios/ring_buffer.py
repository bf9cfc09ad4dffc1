"""A shared buffer: a bytearray ring buffer with head/tail indices.

The producer reserves a slot by advancing ``tail`` and only then fills it. The
consumer trusts ``tail``: when it runs between the two steps it reads a slot that was
published but not yet written and returns a stale zero byte.
"""

import threading

EXPECTED_FAILURE = "assertion"

SIZE = 4


class RingBuffer:
    def __init__(self) -> None:
        self.data = bytearray(SIZE)
        self.head = 0
        self.tail = 0

    def put(self, value: int) -> None:
        slot = self.tail
        self.tail = slot + 1  # publish the slot...
        self.data[slot % SIZE] = value  # ...before filling it

    def get(self) -> int | None:
        if self.head == self.tail:
            return None
        slot = self.head
        value = self.data[slot % SIZE]
        self.head = slot + 1
        return value


def scenario_ring_buffer() -> int | None:
    ring = RingBuffer()
    got: list[int | None] = []
    producer = threading.Thread(target=ring.put, args=(7,))
    consumer = threading.Thread(target=lambda: got.append(ring.get()))
    producer.start()
    consumer.start()
    producer.join()
    consumer.join()
    assert got[0] in (None, 7), f"the consumer read a byte that was never written: {got[0]}"
    return got[0]
