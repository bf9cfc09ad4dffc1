"""Dynamic partial-order reduction with source sets (Abdulla, Aronis, Jonsson and Sagonas,
"Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017), stateless.

Two schedules that differ only in the order of independent operations (different
locations, or two reads) reach the same state; they are one *Mazurkiewicz trace*, and
exploring one of them is enough. The search runs depth first; after each execution it
looks for its *races*: two dependent steps of different threads that no other step orders,
where the later one could have run first. For a race between step ``e`` (at position ``i``)
and a later ``e2``, let ``v`` be the steps after ``e`` that do not depend on it, then
``e2``: some thread that can start ``v`` (an *initial* of ``v``) must be tried at ``i``;
when none of the threads tried or to be tried there is one, the first initial is added.
When no position has a thread left to try, every trace has been covered: ``exhausted`` is a
certificate for every schedule, with no preemption bound.

What it sees (the observation interface of ``racelab.strategies.base``): every step as it
starts, with what it accesses first, and every further access of the step; an access names
a key and says whether it writes it. A *guarded* step (a blocking acquire, a join, a
``get`` of an empty queue) can only run once its guard holds: a thread waiting for one is
not runnable, and the runtime reports, for each access to a guarded object, the object's
state before it. A race with a guarded step is reversed only where its guard held: a
blocking acquire never goes before the release it waited for, but does go before the
acquire that preceded it. Non-blocking operations (``acquire(False)``, ``locked()``,
``is_set()``, ``get_nowait()``) have no guard: they race with a release like any read or
write, and both orders are explored.

Keys: ``ANY`` conflicts with everything, ``NO_OP`` with nothing, equal keys conflict
unless both accesses only read, and a whole object (``id(obj)``) conflicts with its parts
(``(id(obj), part)``) when one of them writes. Keys are compared within one execution only
(an object's id may differ from one execution to the next).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence

from racelab._core.control import ANY, NO_OP
from racelab.errors import NondeterminismError

#: One access: (key, write, state): ``state`` is the guarded object's state before the
#: access, or None when the key names no guarded object.
Access = tuple[Hashable, bool, Any]
#: What guards a step: (key of the guarded object, opens(state) -> whether the step could run).
Guard = tuple[Hashable, Callable[[Any], bool]]


class _Event:
    """One step: a thread's accesses from one scheduling point to the next."""

    __slots__ = ("tid", "acc", "guard")

    def __init__(self, tid: int, acc: list[Access], guard: Guard | None) -> None:
        self.tid = tid
        self.acc = acc
        self.guard = guard

    def __repr__(self) -> str:
        return f"<{self.tid}: {[(a[0], a[1]) for a in self.acc]}>"


class _Node:
    """A position of the current path (before its step)."""

    __slots__ = ("enabled", "chosen", "todo", "done")

    def __init__(self, enabled: tuple[int, ...] | None, chosen: int) -> None:
        self.enabled = enabled  # None: only one thread could run here
        self.chosen = chosen
        self.todo: set[int] = set()  # threads still to try here
        self.done = {chosen}  # threads tried here (the chosen one runs now)


def _base(key: Hashable) -> Hashable:
    """The object a key belongs to: ``(id(obj), part)`` belongs to ``id(obj)``."""
    if type(key) is tuple and key and type(key[0]) is int:
        return key[0]
    return key


def _conflict(ka: Hashable, wa: bool, kb: Hashable, wb: bool) -> bool:
    if ka is NO_OP or kb is NO_OP:
        return False
    if ka == ANY or kb == ANY:
        return True
    if ka == kb:
        return wa or wb
    if not (wa or wb):
        return False
    # an operation on a whole object (``id(obj)``: a method call, a resize, an iteration
    # step) against one of its parts (``(id(obj), key)``, ``(id(obj), SIZE)``)
    if type(ka) is int:
        return _base(kb) == ka
    if type(kb) is int:
        return _base(ka) == kb
    return False


def dependent(a: _Event, b: _Event) -> bool:
    """Whether two steps of different threads conflict (their order can matter)."""
    for ka, wa, _ in a.acc:
        for kb, wb, _ in b.acc:
            if _conflict(ka, wa, kb, wb):
                return True
    return False


class DPORStrategy:
    name = "dpor"

    def __init__(self) -> None:
        self.exhausted = False
        self._stack: list[_Node] = []
        self._events: list[_Event] = []
        self._spawns: dict[int, tuple[int, int]] = {}
        self._fresh = 0  # the first position whose step differs from the execution before
        self._started = False

    @property
    def watcher(self) -> "DPORStrategy":
        return self

    # ---- the strategy interface -------------------------------------------------------

    def new_execution(self) -> bool:
        if self._started:
            if len(self._events) < len(self._stack):
                raise NondeterminismError(
                    f"the scenario is not deterministic: at step {len(self._events) + 1} the execution ended, "
                    "where it went on before")
            self._analyse()
            if not self._backtrack():
                self.exhausted = True
                return False
        self._started = True
        self._events = []
        self._spawns = {}
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        pos = len(self._events)
        if pos < len(self._stack):
            node = self._stack[pos]
            if node.enabled != tuple(runnable):
                raise NondeterminismError(
                    f"the scenario is not deterministic: at step {pos + 1} the runnable threads were "
                    f"{list(node.enabled or [node.chosen])} before and are {list(runnable)} now")
            return node.chosen
        chosen = current if current is not None else runnable[0]
        self._stack.append(_Node(tuple(runnable), chosen))
        return chosen

    # ---- what the runtime reports (the observation interface) ---------------------------

    def observe_step(self, tid: int, access: Access, guard: Guard | None, at_decision: bool) -> None:
        pos = len(self._events)
        if not at_decision:
            if pos < len(self._stack):
                if self._stack[pos].chosen != tid:
                    raise NondeterminismError(
                        f"the scenario is not deterministic: at step {pos + 1} thread {tid} ran instead of "
                        f"thread {self._stack[pos].chosen}")
            else:
                self._stack.append(_Node(None, tid))
        self._events.append(_Event(tid, [access], guard))

    def observe_op(self, tid: int, access: Access) -> None:
        events = self._events
        if events and events[-1].tid == tid:
            events[-1].acc.append(access)
        else:  # an access before the thread's first scheduling point (the main thread, alone)
            self.observe_step(tid, access, None, False)

    def observe_spawn(self, parent: int, child: int) -> None:
        self._spawns[child] = (parent, len(self._events))

    # ---- analysis ---------------------------------------------------------------------

    def _clocks(self) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        """Vector clocks of every step, and of its thread just before it."""
        events = self._events
        spawn_at: dict[int, list[int]] = {}
        for child, (parent, at) in self._spawns.items():
            spawn_at.setdefault(at, []).append(child)
        thread: dict[int, dict[int, int]] = {}
        clocks: list[dict[int, int]] = []
        before: list[dict[int, int]] = []
        by_key: dict[Hashable, list[int]] = {}
        anywhere: list[int] = []
        for j, ev in enumerate(events):
            for child in spawn_at.get(j, ()):
                thread[child] = dict(thread.get(self._spawns[child][0], {}))
            pre = thread.get(ev.tid, {})
            vc = dict(pre)
            keys = set()
            wild = False
            for key, _, _ in ev.acc:
                if key is NO_OP:
                    continue
                if key == ANY:
                    wild = True
                else:
                    keys.add(_base(key))
            if wild:
                earlier: Any = range(j)
            else:
                earlier = set(anywhere)
                for k in keys:
                    earlier.update(by_key.get(k, ()))
            for i in earlier:
                other = events[i]
                if other.tid != ev.tid and dependent(other, ev):
                    for t, c in clocks[i].items():
                        if vc.get(t, 0) < c:
                            vc[t] = c
            if wild:
                anywhere.append(j)
            for k in keys:
                by_key.setdefault(k, []).append(j)
            vc[ev.tid] = vc.get(ev.tid, 0) + 1
            clocks.append(vc)
            before.append(pre)
            thread[ev.tid] = vc
        return clocks, before

    def _analyse(self) -> None:
        events = self._events
        n = len(events)
        if n > len(self._stack):  # (an execution cut short keeps the events it had)
            n = len(self._stack)
        clocks, before = self._clocks()
        for j in range(max(self._fresh, 1), n):
            late = events[j]
            pre = before[j]
            later: list[int] = []
            for i in range(j - 1, -1, -1):
                early = events[i]
                if early.tid == late.tid:
                    continue
                mine = clocks[i][early.tid]
                if pre.get(early.tid, 0) >= mine or not dependent(early, late):
                    continue  # ordered already, or independent
                if not self._reversible(early, late):
                    continue
                if any(clocks[k].get(early.tid, 0) >= mine for k in later):
                    later.append(i)
                    continue  # not a direct race: a later racing step depends on this one
                later.append(i)
                self._race(i, j, clocks, mine)

    @staticmethod
    def _reversible(early: _Event, late: _Event) -> bool:
        """Whether ``late`` could have run in ``early``'s place (its guard held before ``early``)."""
        guard = late.guard
        if guard is None:
            return True
        gkey, opens = guard
        for key, _, state in early.acc:
            if key == gkey and state is not None:
                return opens(state)
        return True

    def _race(self, i: int, j: int, clocks: list[dict[int, int]], mine: int) -> None:
        events = self._events
        tid = events[i].tid
        v = [events[k] for k in range(i + 1, j) if clocks[k].get(tid, 0) < mine]
        v.append(events[j])
        node = self._stack[i]
        if node.enabled is None:
            return  # nothing else could run there
        initials = _initials(v)
        if node.done.intersection(initials) or node.todo.intersection(initials):
            return
        for q in initials:
            if q in node.enabled:
                node.todo.add(q)
                return
        # (no initial could run there: the race cannot be reversed at this position)

    def _backtrack(self) -> bool:
        stack = self._stack
        del stack[len(self._events):]
        while stack:
            node = stack[-1]
            if node.todo:
                tid = min(node.todo)
                node.todo.discard(tid)
                node.done.add(tid)
                node.chosen = tid
                self._fresh = len(stack) - 1
                return True
            stack.pop()
        return False


def _initials(v: list[_Event]) -> list[int]:
    """The threads that can start ``v``: their first step in it depends on no earlier one."""
    found: list[int] = []
    seen: set[int] = set()
    for f, ev in enumerate(v):
        if ev.tid in seen:
            continue
        seen.add(ev.tid)
        if not any(dependent(v[k], ev) for k in range(f)):
            found.append(ev.tid)
    return found
