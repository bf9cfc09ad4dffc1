"""ring_buffer, remedy queue: a bounded ``queue.Queue`` is a ring buffer that is already synchronized."""

import queue
import threading

SIZE = 4


class RingBuffer:
    def __init__(self) -> None:
        self.items: queue.Queue[int] = queue.Queue(maxsize=SIZE)

    def put(self, value: int) -> None:
        self.items.put_nowait(value)

    def get(self) -> int | None:
        try:
            return self.items.get_nowait()
        except queue.Empty:
            return None


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
