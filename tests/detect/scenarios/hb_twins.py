"""Race-free / racy twins, one pair per happens-before source.

Each ``*_ok`` scenario is correctly synchronized: no explored schedule may report a race.
Its ``*_racy`` twin drops one edge; the line marked ``# racy`` is one side of the race the
detector must report. Assertions here always pass: the races are found by the detector.
"""

import queue
import threading
from concurrent.futures import ThreadPoolExecutor


class Box:
    def __init__(self):
        self.value = 0


def run(*targets):
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ---- Thread.start / join ------------------------------------------------------------------

def scenario_start_join_ok():
    box = Box()
    box.value = 1

    def child():
        box.value += 1

    thread = threading.Thread(target=child)
    thread.start()
    thread.join()
    return box.value


def scenario_start_join_racy():
    box = Box()

    def child():
        box.value += 1  # racy: start_join

    thread = threading.Thread(target=child)
    thread.start()
    box.value = 5  # racy: start_join
    thread.join()


# ---- Lock -------------------------------------------------------------------------------------

def scenario_lock_ok():
    box = Box()
    lock = threading.Lock()

    def work():
        with lock:
            box.value += 1

    run(work, work)
    return box.value


def scenario_lock_racy():
    box = Box()
    lock = threading.Lock()

    def locked():
        with lock:
            box.value = 1  # racy: lock

    def unlocked():
        box.value = 2  # racy: lock

    run(locked, unlocked)


# ---- Condition --------------------------------------------------------------------------------

def scenario_condition_ok():
    box = Box()
    cond = threading.Condition()
    state = {"ready": False}

    def producer():
        box.value = 42
        with cond:
            state["ready"] = True
            cond.notify()

    def consumer():
        with cond:
            while not state["ready"]:
                cond.wait()
        assert box.value == 42

    run(consumer, producer)


def scenario_condition_racy():
    box = Box()
    cond = threading.Condition()
    state = {"ready": False}

    def producer():
        box.value = 42  # racy: condition
        with cond:
            state["ready"] = True
            cond.notify()

    def consumer():
        seen = box.value  # racy: condition
        with cond:
            while not state["ready"]:
                cond.wait()
        return seen

    run(consumer, producer)


# ---- Semaphore --------------------------------------------------------------------------------

def scenario_semaphore_ok():
    box = Box()
    sem = threading.Semaphore(0)

    def producer():
        box.value = 1
        sem.release()

    def consumer():
        sem.acquire()
        assert box.value == 1

    run(consumer, producer)


def scenario_semaphore_racy():
    box = Box()
    sem = threading.Semaphore(0)

    def producer():
        sem.release()
        box.value = 1  # racy: semaphore

    def consumer():
        sem.acquire()
        return box.value  # racy: semaphore

    run(consumer, producer)


# ---- Event --------------------------------------------------------------------------------------

def scenario_event_ok():
    box = Box()
    event = threading.Event()

    def producer():
        box.value = 1
        event.set()

    def consumer():
        assert event.wait()
        assert box.value == 1

    run(consumer, producer)


def scenario_event_racy():
    box = Box()
    event = threading.Event()

    def producer():
        box.value = 1  # racy: event
        event.set()

    def consumer():
        event.wait(0)  # does not wait: returns at once, maybe False
        return box.value  # racy: event

    run(consumer, producer)


# ---- Barrier ------------------------------------------------------------------------------------

def scenario_barrier_ok():
    slots = [0, 0]
    barrier = threading.Barrier(2)

    def party(me, other):
        slots[me] = 1
        barrier.wait()
        assert slots[other] == 1

    run(lambda: party(0, 1), lambda: party(1, 0))


def scenario_barrier_racy():
    slots = [0, 0]
    barrier = threading.Barrier(2)

    def party(me, other):
        barrier.wait()
        slots[me] = 1  # racy: barrier
        return slots[other]  # racy: barrier

    run(lambda: party(0, 1), lambda: party(1, 0))


# ---- queue.Queue --------------------------------------------------------------------------------

def scenario_queue_ok():
    q = queue.Queue()

    def producer():
        box = Box()
        box.value = 7
        q.put(box)

    def consumer():
        box = q.get()
        assert box.value == 7

    run(consumer, producer)


def scenario_queue_racy():
    q = queue.Queue()

    def producer():
        box = Box()
        q.put(box)
        box.value = 7  # racy: queue

    def consumer():
        box = q.get()
        return box.value  # racy: queue

    run(consumer, producer)


# ---- Future / executor --------------------------------------------------------------------------

def scenario_future_ok():
    box = Box()
    box.value = 1

    def task():
        box.value += 1
        return box.value

    with ThreadPoolExecutor(max_workers=2) as pool:
        future = pool.submit(task)
        assert future.result() == 2
        assert box.value == 2


def scenario_future_racy():
    box = Box()

    def task():
        box.value += 1  # racy: future

    with ThreadPoolExecutor(max_workers=2) as pool:
        future = pool.submit(task)
        box.value = 10  # racy: future
        future.result()


# ---- atomic container operations ----------------------------------------------------------------

def scenario_atomic_ok():
    items = []

    def work():
        items.append(1)

    run(work, work)
    assert len(items) == 2
    return len(items)


def scenario_atomic_racy():
    items = [0]

    def work():
        items.append(1)
        items[0] = len(items)  # racy: atomic

    run(work, work)
