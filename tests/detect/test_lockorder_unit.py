"""Lock-order validation on synthetic event streams."""

from __future__ import annotations

from racelab.detect import Detector
from racelab.detect.lockorder import simple_cycles
from racelab.detect.report import render_cycle

from .helpers import Trace


def nested(t: Trace, tid: int, order: list[tuple[str, str]], line: int) -> None:
    """Thread ``tid`` takes the (lock, class) pairs in order, then releases them in reverse."""
    for offset, (lock, lock_class) in enumerate(order):
        t.lock(tid, lock, line + offset, lock_class)
    for lock, _ in reversed(order):
        t.unlock(tid, lock)


A, B, C = ("a", "prog.py:1"), ("b", "prog.py:2"), ("c", "prog.py:3")


def test_two_lock_inversion_is_reported_without_a_deadlock() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    nested(t, 1, [A, B], 10)  # thread 1 finishes before thread 2 starts: no deadlock here
    nested(t, 2, [B, A], 20)
    (cycle,) = t.end().lock_cycles()
    assert cycle.cycle == ("prog.py:1", "prog.py:2")
    assert cycle.to_json() == {
        "cycle": ["prog.py:1", "prog.py:2"],
        "edges": [
            {"from": "prog.py:1", "to": "prog.py:2", "thread": "Thread-1", "file": "/virtual/prog.py", "line": 11},
            {"from": "prog.py:2", "to": "prog.py:1", "thread": "Thread-2", "file": "/virtual/prog.py", "line": 21},
        ],
    }
    text = render_cycle(cycle)
    assert "potential deadlock" in text and "prog.py:1 => prog.py:2 => prog.py:1" in text
    assert "while holding lock prog.py:1" in text


def test_three_lock_cycle_across_executions() -> None:
    detector = Detector()
    for tid, order in ((1, [A, B]), (2, [B, C]), (3, [C, A])):
        t = Trace(detector)
        t.spawn(0, tid)
        nested(t, tid, order, 10 * tid)
        t.end(f"s{tid}")
    cycles = detector.lock_cycles()
    assert [c.cycle for c in cycles] == [("prog.py:1", "prog.py:2", "prog.py:3")]
    assert [e.thread for e in cycles[0].edges] == ["Thread-1", "Thread-2", "Thread-3"]


def test_consistent_order_has_no_cycle() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    nested(t, 1, [A, B, C], 10)
    nested(t, 2, [A, C], 20)
    nested(t, 2, [B, C], 30)
    assert t.end().lock_cycles() == []


def test_rlock_reentry_makes_no_self_edge() -> None:
    t = Trace()
    t.spawn(0, 1)
    nested(t, 1, [A, A, A], 10)
    t.lock(1, "a", 20, A[1])
    t.lock(1, "b", 21, B[1])  # a is still held once: edge a -> b
    t.unlock(1, "b")
    t.unlock(1, "a")
    t.lock(1, "b", 30, B[1])  # a is free now: no edge b -> a
    t.lock(1, "a", 31, A[1])
    detector = t.end()
    assert [c.cycle for c in detector.lock_cycles()] == [("prog.py:1", "prog.py:2")]


def test_rlock_reentry_alone_is_not_a_cycle() -> None:
    t = Trace()
    t.spawn(0, 1)
    nested(t, 1, [A, A], 10)
    nested(t, 1, [A, B, A], 20)
    assert t.end().lock_cycles() == []


def test_same_class_instances_in_opposite_orders_form_a_cycle() -> None:
    acct = "bank.py:5"
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    nested(t, 1, [("x", acct), ("y", acct)], 10)
    nested(t, 2, [("y", acct), ("x", acct)], 20)
    (cycle,) = t.end().lock_cycles()
    assert cycle.cycle == (acct, acct)
    assert sorted(e.line for e in cycle.edges) == [11, 21]


def test_same_class_instances_in_one_order_are_fine() -> None:
    acct = "bank.py:5"
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    nested(t, 1, [("x", acct), ("y", acct)], 10)
    nested(t, 2, [("x", acct), ("y", acct)], 20)
    assert t.end().lock_cycles() == []


def test_release_by_another_thread_frees_the_lock() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    t.lock(1, "a", 10, A[1])
    t.unlock(2, "a")  # a plain Lock may be released by any thread
    t.lock(1, "b", 11, B[1])
    nested(t, 2, [B, A], 20)
    assert t.end().lock_cycles() == []


def test_simple_cycles_enumerates_each_elementary_cycle_once() -> None:
    edges = [(1, 2), (2, 1), (2, 3), (3, 1), (3, 3)]
    order = {n: n for n in (1, 2, 3)}
    assert simple_cycles(edges, order) == [[1, 2], [1, 2, 3], [3]]
