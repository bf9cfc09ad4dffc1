"""Starts five threads."""

import threading


def scenario_five_threads():
    ts = [threading.Thread(target=lambda: None) for _ in range(5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
