"""lost_update, remedy mutex: one lock makes read-add-write a critical section."""

import threading

counter = 0
_lock = threading.Lock()


def _work(times: int) -> None:
    global counter
    for _ in range(times):
        with _lock:
            counter += 1


def scenario_lost_update() -> int:
    global counter, _lock
    counter = 0
    _lock = threading.Lock()
    threads = [threading.Thread(target=_work, args=(2,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == 4, f"lost update: counter is {counter}, expected 4"
    return counter
