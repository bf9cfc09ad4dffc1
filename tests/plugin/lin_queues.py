"""Queues for the linearizability tests (imported instrumented by name: ``instrument=("lin_queues",)``)."""

from __future__ import annotations

import threading


class RacyQueue:
    """A FIFO queue whose size counter is updated without a lock."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.size = 0

    def put(self, item: int) -> None:
        self.items.append(item)
        self.size += 1

    def get(self) -> int | None:
        if self.size == 0:
            return None
        self.size -= 1
        return self.items.pop(0)

    def __len__(self) -> int:
        return self.size


class LockedQueue(RacyQueue):
    """The same queue with every operation under one lock."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def put(self, item: int) -> None:
        with self.lock:
            super().put(item)

    def get(self) -> int | None:
        with self.lock:
            return super().get()

    def __len__(self) -> int:
        with self.lock:
            return self.size


class QueueSpec:
    """The sequential model."""

    def __init__(self) -> None:
        self.items: list[int] = []

    def put(self, item: int) -> None:
        self.items.append(item)

    def get(self) -> int | None:
        return self.items.pop(0) if self.items else None

    def __len__(self) -> int:
        return len(self.items)
