"""missed_wakeup, WRONG fix: ``notify_all`` instead of ``notify``.

``notify_all`` wakes every thread that is *already* waiting; a notification with no
waiter is still lost. The consumer that tested ``ready`` just before the producer ran
still waits forever.
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
        box.cond.notify_all()


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
