"""ring_buffer, remedy publish_after_fill: write the byte first, advance ``tail`` last.

With one producer and one consumer, each index has a single writer, and the consumer
only trusts slots below ``tail``; filling before publishing makes every such slot
complete. (Correct in CPython, whose bytecode does not reorder the two writes; with
several producers it needs a lock again.)
"""

import threading

SIZE = 4


class RingBuffer:
    def __init__(self) -> None:
        self.data = bytearray(SIZE)
        self.head = 0
        self.tail = 0

    def put(self, value: int) -> None:
        slot = self.tail
        self.data[slot % SIZE] = value  # fill...
        self.tail = slot + 1  # ...then publish

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
