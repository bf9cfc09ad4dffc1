"""The race lives in an imported helper: only visible when the helper is instrumented."""

import threading

from racelab_tests_counter import Counter


def scenario_counter_in_helper():
    counter = Counter()
    ts = [threading.Thread(target=counter.increment) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert counter.value == 2, counter.value
