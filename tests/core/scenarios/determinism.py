"""Scenarios whose exploration must be a pure function of the seed and options."""

import queue
import threading


def scenario_transfer_lost_update():
    """Three workers move money through shared accounts without a lock: a bug deep enough to vary."""
    accounts = {"a": 10, "b": 10, "c": 10}

    def move(src, dst):
        amount = accounts[src] // 2
        accounts[src] -= amount
        accounts[dst] += amount

    ts = [threading.Thread(target=move, args=p) for p in (("a", "b"), ("b", "c"), ("c", "a"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sum(accounts.values()) == 30, accounts


def scenario_pipeline_outcomes():
    """A correct pipeline whose outcome (the order items were handled) depends on the schedule."""
    q = queue.Queue()
    handled = []
    lock = threading.Lock()

    def worker():
        while True:
            item = q.get()
            if item is None:
                return
            with lock:
                handled.append((threading.current_thread().name, item))

    ws = [threading.Thread(target=worker, name=f"w{i}") for i in range(2)]
    for w in ws:
        w.start()
    for item in range(3):
        q.put(item)
    for _ in ws:
        q.put(None)
    for w in ws:
        w.join()
    assert sorted(item for _, item in handled) == [0, 1, 2]
    return tuple(name for name, _ in handled)
