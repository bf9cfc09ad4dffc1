"""Long explorations to interrupt; each first writes the file named by $RACELAB_TEST_MARKER."""

import os
import threading


def _started():
    marker = os.environ.get("RACELAB_TEST_MARKER")
    if marker and not os.path.exists(marker):
        open(marker, "w").close()


def scenario_many_schedules():
    _started()
    box = {"n": 0}
    lock = threading.Lock()

    def work():
        for _ in range(3):
            with lock:
                box["n"] += 1

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 9


def scenario_second_one():
    pass


def scenario_stuck_in_a_real_call():
    _started()
    r, w = os.pipe()
    os.read(r, 1)
