"""Threads: nested creation, daemon threads, Timer, identity functions per controlled thread."""

import threading
import time


def scenario_ok_nested_threads():
    """Threads started by threads are controlled too; joining down the chain sees every result."""
    results = []

    def leaf():
        results.append("leaf")

    def middle():
        t = threading.Thread(target=leaf)
        t.start()
        results.append("middle")
        t.join()

    t = threading.Thread(target=middle)
    t.start()
    t.join()
    assert sorted(results) == ["leaf", "middle"], results
    return results


def scenario_bug_nested_thread_not_joined():
    """The middle thread forgets to join its child: the main thread may look too early."""
    results = []

    def leaf():
        results.append("leaf")

    def middle():
        threading.Thread(target=leaf).start()

    t = threading.Thread(target=middle)
    t.start()
    t.join()
    assert results == ["leaf"], results


def scenario_ok_daemon_thread_left_behind():
    """A daemon thread blocked forever does not keep the scenario alive and is not a deadlock."""
    forever = threading.Event()
    d = threading.Thread(target=forever.wait, daemon=True)
    d.start()
    assert d.daemon and d.is_alive()


def scenario_ok_daemon_spinning_with_sleep():
    beats = []

    def heartbeat():
        while True:
            beats.append(time.monotonic())
            time.sleep(1)

    threading.Thread(target=heartbeat, daemon=True, name="heartbeat").start()
    time.sleep(3.5)
    assert 3 <= len(beats) <= 4, beats


def scenario_bug_non_daemon_waits_forever():
    """The same forever-blocked thread without daemon=True: the main thread can never finish."""
    forever = threading.Event()
    threading.Thread(target=forever.wait, name="stuck").start()


def scenario_ok_timer_fires_after_interval():
    fired = []
    start = time.monotonic()
    timer = threading.Timer(5, lambda: fired.append(time.monotonic() - start))
    timer.start()
    timer.join()
    assert len(fired) == 1 and 5 <= fired[0] < 5.01, fired


def scenario_ok_timer_cancelled():
    fired = []
    timer = threading.Timer(5, fired.append, args=("fired",))
    timer.start()
    timer.cancel()
    timer.join()
    assert fired == [], fired


def scenario_ok_timer_cancel_races():
    """cancel() at 5.5 virtual seconds: the 5 s timer has fired, the 6 s timer never does."""
    fired = []
    early = threading.Timer(5, fired.append, args=("early",))
    late = threading.Timer(6, fired.append, args=("late",))
    early.start()
    late.start()
    time.sleep(5.5)
    early.cancel()
    late.cancel()
    early.join()
    late.join()
    assert fired == ["early"], fired


def scenario_ok_identity_per_thread():
    main = threading.current_thread()
    assert main is threading.main_thread()
    seen = {}

    def work():
        me = threading.current_thread()
        seen[me.name] = (me.ident == threading.get_ident(), me in threading.enumerate(),
                         threading.active_count() == len(threading.enumerate()))

    ts = [threading.Thread(target=work, name=n) for n in ("w1", "w2")]
    for t in ts:
        t.start()
    assert threading.active_count() == len(threading.enumerate())
    assert set(threading.enumerate()) <= {main, *ts}
    for t in ts:
        t.join()
    assert seen == {"w1": (True, True, True), "w2": (True, True, True)}, seen
    assert ts[0].ident != ts[1].ident != threading.get_ident()
    assert threading.enumerate() == [main] and threading.active_count() == 1
    assert not any(t.is_alive() for t in ts)


def scenario_ok_active_count_changes():
    """active_count() sees a started thread until it finished: 2 or 1, depending on the schedule."""
    t = threading.Thread(target=lambda: None)
    t.start()
    count = threading.active_count()
    t.join()
    assert threading.active_count() == 1
    return count


def scenario_ok_default_names():
    ts = [threading.Thread(target=lambda: None) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [t.name for t in ts] == ["Thread-1 (<lambda>)", "Thread-2 (<lambda>)"], [t.name for t in ts]


def scenario_ok_subclass_run():
    class Worker(threading.Thread):
        def __init__(self):
            super().__init__()
            self.value = None

        def run(self):
            self.value = threading.current_thread() is self

    w = Worker()
    w.start()
    w.join()
    assert w.value is True
    try:
        w.start()
    except RuntimeError:
        pass
    else:
        raise AssertionError("a thread started twice")


def scenario_ok_join_timeout():
    """join(1) on a thread that sleeps 10 s returns after 1 virtual second, the thread still alive."""
    t = threading.Thread(target=time.sleep, args=(10,))
    t.start()
    before = time.monotonic()
    t.join(timeout=1)
    waited = time.monotonic() - before
    assert t.is_alive()
    assert 1 <= waited < 1.01, waited
    t.join()
    assert not t.is_alive()
    assert 10 <= time.monotonic() - before < 10.01
