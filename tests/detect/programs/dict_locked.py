"""The fixed twin of dict_race.py: the same updates under a lock, plus other hand-offs."""

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

box = {"n": 0}
lock = threading.Lock()
results = queue.Queue()


def work():
    for _ in range(50):
        with lock:
            box["n"] += 1
    results.put(box)


threads = [threading.Thread(target=work) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
box["n"] += 1  # after join: ordered


def task(shared):
    shared["n"] += 1
    return shared["n"]


with ThreadPoolExecutor(max_workers=2) as pool:
    assert pool.submit(task, box).result() == 102
print("n =", box["n"], results.qsize())
