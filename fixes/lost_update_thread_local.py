"""lost_update, remedy thread_local: each thread counts on its own stack, the totals are added after join.

Nothing is shared while counting; the only shared step is handing over one partial sum
per thread (``list.append``, atomic) and the main thread reads them after ``join``.
"""

import threading


def _work(times: int, partials: list[int]) -> None:
    mine = 0  # a local: confined to this thread's stack
    for _ in range(times):
        mine += 1
    partials.append(mine)


def scenario_lost_update() -> int:
    partials: list[int] = []
    threads = [threading.Thread(target=_work, args=(2, partials)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counter = sum(partials)
    assert counter == 4, f"lost update: counter is {counter}, expected 4"
    return counter
