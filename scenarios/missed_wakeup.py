"""A missed wake-up: the condition is tested outside the lock, then waited on with ``if``.

``Condition.notify`` wakes only threads already waiting; it is not remembered. The
consumer checks ``ready`` without holding the condition's lock and then waits: when
the producer sets ``ready`` and notifies in between, the notification is lost and the
consumer waits forever.
"""

import threading

EXPECTED_FAILURE = "deadlock"


class Mailbox:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.ready = False
        self.item: str | None = None


def consume(box: Mailbox, out: list[str | None]) -> None:
    if not box.ready:
        with box.cond:
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
