"""Lock-order validation in the style of Linux lockdep.

A deadlock needs two threads taking the same locks in opposite orders *at the same time*;
exploring schedules finds it only if one of them happens to interleave that way. lockdep's
observation is that the order alone is the bug: record, across every execution, an edge
``A -> B`` whenever a lock of class ``B`` is acquired while one of class ``A`` is held, and
any cycle in that graph is a potential deadlock, whether or not a schedule deadlocked.

A lock's *class* is its creation site (``file:line``), so the graph is shared by every
execution and every instance made at that site. Two instances of one class taken nested
(``transfer(a, b)`` locking ``a.lock`` then ``b.lock``) would be a self-edge at class level,
which would also condemn the correct fix (always lock the lower id first). For those we keep
an *instance* graph per execution instead and report its cycles: a cycle there means two
threads really took two locks of that class in opposite orders.

Re-acquiring a lock already held by the thread (an ``RLock``) adds no edge.
"""

from __future__ import annotations

from types import CodeType, FrameType
from typing import Hashable, Iterable, TypeVar

from racelab.detect.records import LockCycle, LockEdge, place_of, source_line

MAX_CYCLES = 100
"""At most this many cycles are reported (enumerating all simple cycles can explode)."""

Node = TypeVar("Node")


# A lock held by a thread: [lock, lock class, code, offset, count], code and offset being the
# acquiring frame's f_code and f_lasti (see ``records.place_of``). A list: it is made on every
# acquisition.
_Held = list


def simple_cycles(edges: Iterable[tuple[Node, Node]], order: dict[Node, int], limit: int = MAX_CYCLES) -> list[list[Node]]:
    """Every elementary cycle of a small directed graph, each starting at its lowest node.

    ``order`` ranks the nodes; the result is deterministic for a given ranking.
    """
    succ: dict[Node, list[Node]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    for targets in succ.values():
        targets.sort(key=order.__getitem__)
    cycles: list[list[Node]] = []
    for start in sorted(succ, key=order.__getitem__):
        _cycles_from(start, succ, order, cycles, limit)
        if len(cycles) >= limit:
            break
    return cycles[:limit]


def _cycles_from(start: Node, succ: dict[Node, list[Node]], order: dict[Node, int], out: list[list[Node]], limit: int) -> None:
    floor = order[start]
    path = [start]
    on_path = {start}
    stack = [iter(succ.get(start, ()))]
    while stack and len(out) < limit:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            on_path.discard(path.pop())
        elif nxt == start:
            out.append(list(path))
        elif nxt not in on_path and order[nxt] > floor:
            path.append(nxt)
            on_path.add(nxt)
            stack.append(iter(succ.get(nxt, ())))


class LockOrderDetector:
    """An ``Observer`` that records the lock-order graph; ``cycles()`` reports its cycles."""

    def __init__(self) -> None:
        self._edges: dict[tuple[str, str], LockEdge] = {}
        self._instance_cycles: dict[tuple[tuple[str, int], ...], LockCycle] = {}
        self._names: dict[int, str] = {}
        self._held: dict[int, list[_Held]] = {}
        self._owner: dict[Hashable, int] = {}
        self._instance_edges: dict[tuple[Hashable, Hashable], LockEdge] = {}

    def begin(self, names: dict[int, str]) -> None:
        self._names = names
        self._held = {}
        self._owner = {}
        self._instance_edges = {}

    def end(self, schedule: str | None) -> None:
        self._collect_instance_cycles()

    def lock_acquired(self, tid: int, lock: Hashable, lock_class: str, frame: FrameType | None) -> None:
        held = self._held.get(tid)
        if held is None:
            held = self._held[tid] = []
        for entry in held:
            if entry[0] == lock:
                entry[4] += 1
                return
        code, at = (frame.f_code, frame.f_lasti) if frame is not None else (None, 0)
        for entry in held:
            if entry[1] != lock_class:
                if (entry[1], lock_class) not in self._edges:
                    self._edges[(entry[1], lock_class)] = self._edge(tid, entry, lock_class, code, at)
            elif (entry[0], lock) not in self._instance_edges:
                self._instance_edges[(entry[0], lock)] = self._edge(tid, entry, lock_class, code, at)
        held.append([lock, lock_class, code, at, 1])
        self._owner[lock] = tid

    def lock_released(self, tid: int, lock: Hashable) -> None:
        held = self._held.get(tid)
        if held and held[-1][0] == lock:  # the common case: the innermost lock of its taker
            entry = held[-1]
            entry[4] -= 1
            if entry[4] == 0:
                held.pop()
                del self._owner[lock]
            return
        held = self._held.get(self._owner.get(lock, tid), ())
        for index in range(len(held) - 1, -1, -1):
            entry = held[index]
            if entry[0] == lock:
                entry[4] -= 1
                if entry[4] == 0:
                    del held[index]
                    self._owner.pop(lock, None)
                return

    def _edge(self, tid: int, held: _Held, lock_class: str, code: CodeType | None, at: int) -> LockEdge:
        thread = self._names.get(tid, f"thread {tid}")
        file, line = place_of(code, at)
        held_file, held_line = place_of(held[2], held[3])
        return LockEdge(held[1], lock_class, thread, file, line, source_line(file, line), held_file, held_line)

    # Happens-before and data accesses are the race detector's business.
    def access(self, tid: int, op: object, loc: Hashable, name: str, frame: FrameType | None) -> None: ...

    def atomic(self, tid: int, obj: Hashable) -> None: ...

    def release(self, tid: int, sync: Hashable) -> None: ...

    def acquire(self, tid: int, sync: Hashable) -> None: ...

    # -- reports --------------------------------------------------------------------------

    def _collect_instance_cycles(self) -> None:
        if not self._instance_edges:
            return
        locks = sorted({lock for pair in self._instance_edges for lock in pair}, key=repr)
        order = {lock: index for index, lock in enumerate(locks)}
        for cycle in simple_cycles(self._instance_edges, order):
            edges = [self._instance_edges[(a, cycle[(i + 1) % len(cycle)])] for i, a in enumerate(cycle)]
            sites = [(edge.file, edge.line) for edge in edges]
            turn = sites.index(min(sites))
            edges = edges[turn:] + edges[:turn]
            key = tuple(sites[turn:] + sites[:turn])
            if key not in self._instance_cycles:
                self._instance_cycles[key] = LockCycle(tuple(e.from_ for e in edges), tuple(edges))

    def cycles(self) -> list[LockCycle]:
        """Every cycle of the class graph, then every same-class instance cycle seen."""
        classes = sorted({name for pair in self._edges for name in pair})
        order = {name: index for index, name in enumerate(classes)}
        found = [
            LockCycle(tuple(cycle), tuple(self._edges[(a, cycle[(i + 1) % len(cycle)])] for i, a in enumerate(cycle)))
            for cycle in simple_cycles(self._edges, order)
        ]
        instances = [self._instance_cycles[key] for key in sorted(self._instance_cycles)]
        return found + instances[: max(0, MAX_CYCLES - len(found))]
