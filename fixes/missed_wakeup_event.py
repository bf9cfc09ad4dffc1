"""missed_wakeup, remedy event: a ``threading.Event`` remembers that it was set.

Unlike ``notify``, ``Event.set`` is state, not a signal: a consumer that arrives late
finds the event set and does not wait at all.
"""

import threading


class Mailbox:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.item: str | None = None


def consume(box: Mailbox, out: list[str | None]) -> None:
    box.ready.wait()
    out.append(box.item)


def produce(box: Mailbox) -> None:
    box.item = "job"
    box.ready.set()


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
