"""Dynamic partial-order reduction (Flanagan & Godefroid, POPL 2005), stateless.

Two schedules that differ only in the order of independent operations (different
locations, or two reads) reach the same state; exploring one of them is enough. DPOR
explores depth first like ``dfs`` but adds a backtracking choice only where the
execution just seen has a *race*: two dependent operations of different threads that no
happens-before path orders. At the decision before the first of the two, the second's
thread is added to the backtrack set (or every enabled thread, when it was not enabled
there). When no node has an untried backtracking choice left, every Mazurkiewicz trace
of the program has been covered: ``exhausted`` is a certificate for all schedules, with
no preemption bound.

What it sees: the runtime calls ``observe_step(tid, (key, write), at_decision)`` for every
operation in the order they happen, ``observe_spawn(parent, child)`` when a thread is
started, and ``observe_end(pending)`` with the operations blocked threads were about to
do, and ``observe_sync(tid, key)`` for releases (a lock given back, a notify, a thread's
end): they order what follows them but never race, since a release and the acquire it
enables cannot both be enabled at once. Keys: ``ANY`` conflicts with everything, ``NO_OP`` with nothing, equal keys conflict
unless both operations only read.

Happens-before is computed with vector clocks over the trace: an operation is ordered
after every earlier operation of its thread and every earlier dependent operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

from racelab._core.control import ANY, NO_OP
from racelab.errors import NondeterminismError


@dataclass
class _Node:
    enabled: tuple[int, ...]
    current: int | None
    chosen: int
    backtrack: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Event:
    tid: int
    key: Hashable
    write: bool
    node: int | None  # the decision it was chosen at, if any
    sync: bool = False  # a release: orders what follows, but is never co-enabled with its peers


def _base(key: Hashable) -> Hashable:
    """The object a key belongs to: ``(id(obj), part)`` belongs to ``id(obj)``."""
    if type(key) is tuple and key and type(key[0]) is int:
        return key[0]
    return key


def _dependent(a: _Event, b: _Event) -> bool:
    if a.key is NO_OP or b.key is NO_OP:
        return False
    if a.key == ANY or b.key == ANY:
        return True
    if a.key == b.key:
        return a.write or b.write
    # an operation on a whole object (key ``id(obj)``: a method call, a resize, an iteration
    # step) against one of its parts (``(id(obj), key)``, ``(id(obj), SIZE)``)
    if type(a.key) is int:
        return (a.write or b.write) and _base(b.key) == a.key
    if type(b.key) is int:
        return (a.write or b.write) and _base(a.key) == b.key
    return False


class DPORStrategy:
    name = "dpor"

    def __init__(self) -> None:
        self.exhausted = False
        self._stack: list[_Node] = []
        self._depth = 0
        self._events: list[_Event] = []
        self._pending: list[tuple[int, Hashable, bool, int]] = []
        self._spawns: dict[int, tuple[int, int]] = {}
        self._snapshots: list[dict[int, dict[int, int]]] = []
        self._step_node: dict[int, int | None] = {}
        self._started = False

    # ---- the strategy interface -------------------------------------------------------

    def new_execution(self) -> bool:
        if self._started:
            self._analyse()
            if not self._backtrack():
                self.exhausted = True
                return False
        self._started = True
        self._depth = 0
        self._events = []
        self._pending = []
        self._spawns = {}
        self._step_node = {}
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        depth = self._depth
        self._depth += 1
        if depth < len(self._stack):
            node = self._stack[depth]
            if node.enabled != tuple(runnable):
                raise NondeterminismError(
                    f"the scenario is not deterministic: at decision {depth + 1} the runnable threads were "
                    f"{list(node.enabled)} before and are {list(runnable)} now")
            return node.chosen
        first = current if current is not None else runnable[0]
        self._stack.append(_Node(tuple(runnable), current, first, {first}, {first}))
        return first

    # ---- what the runtime reports -------------------------------------------------------

    def observe_step(self, tid: int, pending: tuple[Hashable, bool], at_decision: bool) -> None:
        key, write = pending
        node = self._depth - 1 if at_decision else None
        self._step_node[tid] = node
        self._events.append(_Event(tid, key, write, node))

    def observe_op(self, tid: int, key: Hashable, write: bool) -> None:
        """A visible operation in the middle of a step (a generator giving back control, the
        read of a method): it orders what follows, and races like the step's own operation."""
        if key is not NO_OP:
            self._pending.append((tid, key, write, len(self._events)))
        self._events.append(_Event(tid, key, write, self._step_node.get(tid)))

    def observe_pending(self, tid: int, key: Hashable, write: bool) -> None:
        if key is not NO_OP:
            self._pending.append((tid, key, write, len(self._events)))

    def observe_sync(self, tid: int, key: Hashable) -> None:
        self._events.append(_Event(tid, key, True, None, sync=True))

    def observe_spawn(self, parent: int, child: int) -> None:
        self._spawns[child] = (parent, len(self._events))

    def observe_end(self, pending: list[tuple[int, tuple[Hashable, bool]]]) -> None:
        """Blocked threads' operations stay pending to the end; nothing more to record."""

    # ---- analysis ---------------------------------------------------------------------

    def _clocks(self) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        """Vector clocks of every event, and of every thread *before* each position."""
        events = self._events
        thread_clock: dict[int, dict[int, int]] = {}
        spawn_at: dict[int, list[int]] = {}
        for child, (parent, at) in self._spawns.items():
            spawn_at.setdefault(at, []).append(child)
        clocks: list[dict[int, int]] = []
        by_key: dict[Hashable, list[int]] = {}
        anywhere: list[int] = []
        snapshots: list[dict[int, dict[int, int]]] = []
        for j, ev in enumerate(events):
            for child in spawn_at.get(j, ()):
                thread_clock[child] = dict(thread_clock.get(self._spawns[child][0], {}))
            snapshots.append(dict(thread_clock))
            vc = dict(thread_clock.get(ev.tid, {}))
            if ev.key is not NO_OP:
                base = _base(ev.key)
                earlier = list(range(j)) if ev.key == ANY else by_key.get(base, []) + anywhere
                for i in earlier:
                    if _dependent(events[i], ev):
                        for t, c in clocks[i].items():
                            if vc.get(t, 0) < c:
                                vc[t] = c
                (anywhere if ev.key == ANY else by_key.setdefault(base, [])).append(j)
            vc[ev.tid] = vc.get(ev.tid, 0) + 1
            clocks.append(vc)
            thread_clock[ev.tid] = vc
        for child in spawn_at.get(len(events), ()):
            thread_clock[child] = dict(thread_clock.get(self._spawns[child][0], {}))
        snapshots.append(dict(thread_clock))
        self._snapshots = snapshots
        return clocks, [s.get(ev.tid, {}) for s, ev in zip(snapshots, events)]

    def _analyse(self) -> None:
        events = self._events
        clocks, _ = self._clocks()
        for tid, key, write, start in self._pending:
            op = _Event(tid, key, write, None)
            end = next((k for k in range(start, len(events)) if events[k].tid == tid), len(events))
            mine = self._snapshots[start].get(tid, {})
            before_start = True
            for i in range(end - 1, -1, -1):
                prev = events[i]
                if prev.tid == tid or prev.sync or not _dependent(prev, op):
                    continue
                if clocks[i].get(prev.tid, 0) <= mine.get(prev.tid, 0):
                    continue  # already happens before this thread
                self._add_backtrack(prev, tid)
                if i < start and before_start:
                    break

    def _add_backtrack(self, earlier: _Event, tid: int) -> None:
        if earlier.node is None or earlier.node >= len(self._stack):
            return
        node = self._stack[earlier.node]
        if tid in node.enabled:
            node.backtrack.add(tid)
        else:
            node.backtrack.update(node.enabled)

    def _backtrack(self) -> bool:
        while self._stack:
            node = self._stack[-1]
            todo = sorted(node.backtrack - node.done)
            if todo:
                node.chosen = todo[0]
                node.done.add(todo[0])
                return True
            self._stack.pop()
        return False
