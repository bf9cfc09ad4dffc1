"""lost_update, remedy atomic: ``AtomicInt.increment_and_get`` is one indivisible step.

(``next(itertools.count())`` would serve as well for a pure ticket counter.)
"""

import threading

from racelab.atomic import AtomicInt


def _work(counter: AtomicInt, times: int) -> None:
    for _ in range(times):
        counter.increment_and_get()


def scenario_lost_update() -> int:
    counter = AtomicInt(0)
    threads = [threading.Thread(target=_work, args=(counter, 2)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.get() == 4, f"lost update: counter is {counter.get()}, expected 4"
    return counter.get()
