"""missed_wakeup, remedy mutex: test the predicate under the condition's lock, in a ``while`` loop.

Holding the lock from the test to the wait means the producer cannot set ``ready`` and
notify in between; ``wait`` releases the lock atomically. The loop re-tests after every
wake-up (``cond.wait_for(predicate)`` is the same loop).
"""

import threading


class Mailbox:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.ready = False
        self.item: str | None = None


def consume(box: Mailbox, out: list[str | None]) -> None:
    with box.cond:
        while not box.ready:
            box.cond.wait()
        out.append(box.item)


def produce(box: Mailbox) -> None:
    with box.cond:
        box.item = "job"
        box.ready = True
        box.cond.notify()


def scenario_missed_wakeup() -> str | None:
    box = Mailbox()
    out: list[str | None] = []
    threads = [threading.Thread(target=consume, args=(box, out)), threading.Thread(target=produce, args=(box,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["job"], f"the consumer got {out}"
    return out[0]
