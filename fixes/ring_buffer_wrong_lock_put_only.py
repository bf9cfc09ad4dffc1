"""ring_buffer, WRONG fix: lock the producer only, "because only put writes".

The producer's two steps are now atomic with respect to other producers, but the
consumer does not take the lock, so nothing keeps it from running between "advance
tail" and "write the byte".
"""

import threading

EXPECTED_FAILURE = "assertion"

SIZE = 4


class RingBuffer:
    def __init__(self) -> None:
        self.data = bytearray(SIZE)
        self.head = 0
        self.tail = 0
        self.lock = threading.Lock()

    def put(self, value: int) -> None:
        with self.lock:
            slot = self.tail
            self.tail = slot + 1
            self.data[slot % SIZE] = value

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
