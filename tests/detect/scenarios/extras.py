"""Races the assertion never sees, slices, and a lock-order inversion that need not deadlock."""

import threading


class Flag:
    def __init__(self):
        self.done = False


def run(*targets):
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def scenario_benign_looking_race():
    """Both threads store the same value: every schedule passes the assertion, yet it races."""
    flag = Flag()

    def mark():
        flag.done = True  # racy: benign

    run(mark, mark)
    assert flag.done
    return flag.done


def scenario_slice_overlap():
    buf = bytearray(8)

    def writer():
        buf[0:4] = b"abcd"  # racy: slice

    def reader():
        return buf[2]  # racy: slice

    run(writer, reader)


def scenario_slice_disjoint():
    buf = bytearray(8)

    def writer():
        buf[0:4] = b"abcd"

    def reader():
        return buf[6]

    run(writer, reader)


def scenario_lock_order_inversion():
    a = threading.Lock()  # lock: a
    b = threading.Lock()  # lock: b

    def ab():
        with a:
            with b:  # edge: a->b
                pass

    def ba():
        with b:
            with a:  # edge: b->a
                pass

    run(ab, ba)


def scenario_lock_order_consistent():
    a = threading.Lock()
    b = threading.Lock()

    def ab():
        with a:
            with b:
                pass

    run(ab, ab)
