"""Barrier: three parties meet, broken barriers (abort, timeout, failing action), reset."""

import threading
import time


def _phase_run(parties, threads):
    barrier = threading.Barrier(parties)
    arrived = []
    indices = []

    def party(i):
        arrived.append(i)
        indices.append(barrier.wait())
        assert len(arrived) == threads, f"party {i} passed the barrier with only {len(arrived)} arrived"

    ts = [threading.Thread(target=party, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sorted(indices)


def scenario_ok_barrier_of_3():
    """No party passes before all three arrived; wait() hands out indices 0, 1, 2."""
    assert _phase_run(3, 3) == [0, 1, 2]


def scenario_bug_barrier_too_small():
    """A barrier of 2 for three threads lets two through early."""
    _phase_run(2, 3)


def scenario_ok_action_runs_once_per_generation():
    runs = []
    barrier = threading.Barrier(3, action=lambda: runs.append(len(done)))
    done = []

    def party():
        barrier.wait()
        done.append(1)
        barrier.wait()

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    barrier.wait()
    done.append(1)
    barrier.wait()
    for t in ts:
        t.join()
    assert runs == [0, 3], runs


def scenario_ok_abort_breaks_waiters():
    """Every party waiting at, or arriving at, an aborted barrier gets BrokenBarrierError."""
    barrier = threading.Barrier(3)
    errors = []

    def party():
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            errors.append("broken")

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    barrier.abort()
    for t in ts:
        t.join()
    assert errors == ["broken", "broken"], errors
    assert barrier.broken


def scenario_ok_timeout_breaks_barrier():
    """A lone party times out after 1 virtual second; the barrier is then broken for everyone."""
    barrier = threading.Barrier(2)
    before = time.monotonic()
    try:
        barrier.wait(timeout=1)
    except threading.BrokenBarrierError:
        pass
    else:
        raise AssertionError("a lone party passed a barrier of 2")
    waited = time.monotonic() - before
    assert 1 <= waited < 1.01, waited
    assert barrier.broken
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    else:
        raise AssertionError("a broken barrier let a party through")


def scenario_ok_default_timeout_breaks_barrier():
    barrier = threading.Barrier(2, timeout=3)
    before = time.monotonic()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        waited = time.monotonic() - before
        assert 3 <= waited < 3.01, waited
    else:
        raise AssertionError("a lone party passed a barrier of 2")


def scenario_ok_failing_action_breaks_barrier():
    def action():
        raise ValueError("action failed")

    barrier = threading.Barrier(2, action=action)
    seen = []

    def party():
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            seen.append("broken")
        except ValueError:
            seen.append("action")

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(seen) == ["action", "broken"], seen
    assert barrier.broken


def scenario_ok_reset_after_abort():
    """reset() mends a broken barrier: two parties then pass it together."""
    barrier = threading.Barrier(2)
    barrier.abort()
    assert barrier.broken
    barrier.reset()
    assert not barrier.broken
    assert barrier.n_waiting == 0
    passed = []

    def party():
        passed.append(barrier.wait())

    t = threading.Thread(target=party)
    t.start()
    passed.append(barrier.wait())
    t.join()
    assert sorted(passed) == [0, 1], passed


def scenario_ok_reset_breaks_current_waiters():
    """reset() while a party waits: that party gets BrokenBarrierError, the barrier is usable again."""
    barrier = threading.Barrier(2)
    seen = []

    def party():
        try:
            barrier.wait(timeout=10)
            seen.append("passed")
        except threading.BrokenBarrierError:
            seen.append("broken")

    t = threading.Thread(target=party)
    t.start()
    while barrier.n_waiting == 0 and t.is_alive():
        time.sleep(0.001)
    barrier.reset()
    t.join()
    assert seen == ["broken"], seen
    assert not barrier.broken


def scenario_ok_timeout_breaks_the_other_waiters():
    """One party's timeout breaks the barrier for a party waiting without timeout."""
    barrier = threading.Barrier(3)
    seen = []

    def party(timeout):
        try:
            barrier.wait(timeout)
            seen.append("passed")
        except threading.BrokenBarrierError:
            seen.append("broken")

    ts = [threading.Thread(target=party, args=(1,)), threading.Thread(target=party, args=(None,))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == ["broken", "broken"], seen
