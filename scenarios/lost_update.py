"""Lost update: threads share the process's data region, so a global counter is shared.

``counter += 1`` is a read, an add and a write. Two threads that both read before either
writes store the same value: one increment is lost.
"""

import threading

counter = 0


def increment() -> None:
    global counter
    counter += 1


def scenario_lost_update():
    global counter
    counter = 0
    threads = [threading.Thread(target=increment) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == 2
    return counter
