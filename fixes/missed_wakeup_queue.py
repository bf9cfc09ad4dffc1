"""missed_wakeup, remedy queue: hand the item over through a ``queue.Queue``.

``get`` blocks until an item is there, whether the ``put`` came before or after: the
queue holds the item and the wake-up together.
"""

import queue
import threading


class Mailbox:
    def __init__(self) -> None:
        self.items: queue.Queue[str] = queue.Queue()


def consume(box: Mailbox, out: list[str | None]) -> None:
    out.append(box.items.get())


def produce(box: Mailbox) -> None:
    box.items.put("job")


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
