"""queue.Queue, LifoQueue, PriorityQueue, SimpleQueue: blocking, timeouts, join/task_done."""

import queue
import threading
import time


def _producer_consumer(q, items):
    got = []

    def consumer():
        for _ in items:
            got.append(q.get())

    def producer():
        for item in items:
            q.put(item)

    c = threading.Thread(target=consumer)
    p = threading.Thread(target=producer)
    c.start()  # the consumer may well get() before anything was put
    p.start()
    c.join()
    p.join()
    return got


def scenario_ok_get_before_put():
    """A get() that comes first blocks until the put; items arrive in FIFO order."""
    assert _producer_consumer(queue.Queue(), [1, 2]) == [1, 2]


def scenario_ok_simple_queue_get_before_put():
    assert _producer_consumer(queue.SimpleQueue(), [1, 2]) == [1, 2]


def scenario_ok_lifo_order():
    q = queue.LifoQueue()
    t = threading.Thread(target=lambda: [q.put(i) for i in (1, 2, 3)])
    t.start()
    t.join()
    assert [q.get(), q.get(), q.get()] == [3, 2, 1]


def scenario_ok_lifo_concurrent():
    """With a concurrent consumer, a LIFO queue returns an item no older than any other present."""
    got = _producer_consumer(queue.LifoQueue(), [1, 2])
    assert sorted(got) == [1, 2]
    return got


def scenario_ok_priority_order():
    q = queue.PriorityQueue()
    q.put((2, "b"))
    ts = [threading.Thread(target=q.put, args=(item,)) for item in ((3, "c"), (1, "a"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [q.get()[1] for _ in range(3)] == ["a", "b", "c"]


def scenario_ok_maxsize_blocks_put():
    """A put() on a full queue waits for room: the queue never holds more than maxsize items."""
    q = queue.Queue(maxsize=1)
    sizes = []

    def producer():
        for i in range(3):
            q.put(i)
            sizes.append(q.qsize())

    p = threading.Thread(target=producer)
    p.start()
    got = [q.get() for _ in range(3)]
    p.join()
    assert got == [0, 1, 2]
    assert max(sizes) <= 1, sizes


def scenario_bug_maxsize_not_a_limit():
    """Expecting a queue of maxsize 2 to stay at most 1 long is found wrong."""
    q = queue.Queue(maxsize=2)
    sizes = []

    def producer():
        for i in range(2):
            q.put(i)
            sizes.append(q.qsize())

    p = threading.Thread(target=producer)
    p.start()
    got = [q.get() for _ in range(2)]
    p.join()
    assert max(sizes) <= 1, sizes


def scenario_ok_timeouts_raise_empty_and_full():
    q = queue.Queue(maxsize=1)
    before = time.monotonic()
    try:
        q.get(timeout=2)
    except queue.Empty:
        pass
    else:
        raise AssertionError("get() on an empty queue returned")
    assert 2 <= time.monotonic() - before < 2.01
    q.put("x")
    before = time.monotonic()
    try:
        q.put("y", timeout=3)
    except queue.Full:
        pass
    else:
        raise AssertionError("put() on a full queue returned")
    assert 3 <= time.monotonic() - before < 3.01
    try:
        q.put_nowait("y")
    except queue.Full:
        pass
    else:
        raise AssertionError("put_nowait() on a full queue returned")
    assert q.get_nowait() == "x"
    try:
        q.get_nowait()
    except queue.Empty:
        pass
    else:
        raise AssertionError("get_nowait() on an empty queue returned")


def scenario_ok_simple_queue_timeout():
    q = queue.SimpleQueue()
    before = time.monotonic()
    try:
        q.get(timeout=1)
    except queue.Empty:
        pass
    else:
        raise AssertionError("get() on an empty SimpleQueue returned")
    assert 1 <= time.monotonic() - before < 1.01
    q.put(1)
    assert q.qsize() == 1 and not q.empty()
    assert q.get_nowait() == 1


def _join_task_done(done_first):
    q = queue.Queue()
    processed = []

    def worker():
        while True:
            item = q.get()
            if item is None:
                q.task_done()
                return
            if done_first:
                q.task_done()
                processed.append(item)
            else:
                processed.append(item)
                q.task_done()

    w = threading.Thread(target=worker)
    w.start()
    for item in (1, 2):
        q.put(item)
    q.join()
    count = len(processed)
    q.put(None)
    w.join()
    assert count == 2, f"join() returned with {count} of 2 items processed"


def scenario_ok_join_waits_for_task_done():
    """join() returns only when every item put was marked task_done()."""
    _join_task_done(done_first=False)


def scenario_bug_task_done_too_early():
    """A worker that calls task_done() before doing the work lets join() return early."""
    _join_task_done(done_first=True)


def scenario_ok_task_done_too_many_times():
    q = queue.Queue()
    q.put(1)
    q.get()
    q.task_done()
    try:
        q.task_done()
    except ValueError:
        pass
    else:
        raise AssertionError("task_done() called too many times did not raise ValueError")


def _late_producer(q, timeout):
    def producer():
        time.sleep(1)
        q.put("x")

    t = threading.Thread(target=producer)
    t.start()
    try:
        got = q.get(timeout=timeout)
    except queue.Empty:
        got = None
    t.join()
    return got


def scenario_ok_get_timeout_outlasts_producer():
    """The producer puts after 1 virtual second: a 5 s get receives the item."""
    assert _late_producer(queue.Queue(), 5) == "x"


def scenario_ok_get_timeout_shorter_than_producer():
    """A 0.5 s get gives up (Empty) before the producer's put at 1 s."""
    assert _late_producer(queue.Queue(), 0.5) is None


def scenario_ok_put_timeout_outlasts_consumer():
    """A full queue gets room after 1 virtual second: a put with a 5 s timeout succeeds."""
    q = queue.Queue(maxsize=1)
    q.put(0)

    def consumer():
        time.sleep(1)
        q.get()

    t = threading.Thread(target=consumer)
    t.start()
    q.put(1, timeout=5)
    t.join()
    assert q.get() == 1
