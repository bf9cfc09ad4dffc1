"""Two real threads take two locks in opposite orders, one after the other: no deadlock."""

import threading

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


for target in (ab, ba):
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
