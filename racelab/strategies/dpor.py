"""Optimal dynamic partial-order reduction: source sets, wakeup trees and sleep sets.

Two schedules that differ only in the order of independent operations (different
locations, or two reads) reach the same state; they are one *Mazurkiewicz trace*. This
strategy explores one schedule per trace (Abdulla, Aronis, Jonsson and Sagonas, "Source
Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017), statelessly:
each execution replays a prefix of choices, then follows a branch of a *wakeup tree*.

After an execution it looks for its *races*: two dependent steps of different threads that
no other step orders, where the later one could have run first. For a race between step
``e`` (at position ``i``) and a later ``e2``, the steps after ``e`` that do not depend on it,
followed by ``e2``, form a schedule ``v`` the search owes: unless a thread asleep at ``i``
already starts an equivalent one, ``v`` goes into the wakeup tree at ``i``, merged with what
is there. Every position keeps a *sleep set*: the threads whose step there was explored
already, with that step; a thread stays asleep down a branch until a step that depends on
its own runs. When no wakeup tree has a branch left, every trace has been covered:
``exhausted`` is a certificate for every schedule, with no preemption bound.

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
(``(id(obj), part)``) when one of them writes.

Objects are named by their first access in an execution (its position, and a count), not
by ``id``, which differs from one execution to the next. Steps kept from an earlier
execution (in a sleep set or a wakeup tree at position ``i``) share the first ``i`` steps
with the current one, so an object first accessed there has the same name in both; two
objects both first accessed later may be the same one, and are taken to be (a sound
over-approximation: at worst a thread wakes up early and a trace is explored twice).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Sequence

from racelab._core.control import ANY, NO_OP
from racelab.errors import NondeterminismError

#: One access as reported: (key, write, state): ``state`` is the guarded object's state
#: before the access, or None when the key names no guarded object.
Access = tuple[Hashable, bool, Any]
#: What guards a step: (key of the guarded object, opens(state) -> whether the step could run).
Guard = tuple[Hashable, Callable[[Any], bool]]
#: A part key's stand-in for "the whole object".
_WHOLE = object()
_EXACT = 1 << 62  # the root of events of the current execution: every name compares exactly


class _Name:
    """An object of one execution, named by its first access: position ``pos``, ``n``-th new name there."""

    __slots__ = ("pos", "n", "_hash")

    def __init__(self, pos: int, n: int) -> None:
        self.pos = pos
        self.n = n
        self._hash = hash((pos, n))

    def __eq__(self, other: object) -> bool:
        return type(other) is _Name and other.pos == self.pos and other.n == self.n  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"@{self.pos}.{self.n}"


class _Event:
    """One step: a thread's accesses from one scheduling point to the next.

    ``acc``: (object name or None, part or key, write, state); ``root``: the steps before
    position ``root`` are shared with every execution this event is compared with."""

    __slots__ = ("tid", "acc", "guard", "root")

    def __init__(self, tid: int, guard: Guard | None) -> None:
        self.tid = tid
        self.acc: list[tuple[_Name | None, Any, bool, Any]] = []
        self.guard = guard
        self.root = _EXACT

    def kept(self, root: int) -> "_Event":
        """This step as kept at position ``root`` for later executions."""
        if self.root <= root:
            return self
        copy = _Event(self.tid, self.guard)
        copy.acc = self.acc
        copy.root = root
        return copy

    def __repr__(self) -> str:
        return f"<{self.tid}: {[(a[0], a[1], a[2]) for a in self.acc]}>"


def _same(a: _Name, b: _Name, root: int) -> bool:
    if a == b:
        return True
    return a.pos >= root and b.pos >= root  # both first accessed after the shared prefix: maybe one object


def dependent(a: _Event, b: _Event) -> bool:
    """Whether two steps of different threads conflict (their order can matter)."""
    root = a.root if a.root < b.root else b.root
    for oa, pa, wa, _ in a.acc:
        if pa is NO_OP:
            continue
        for ob, pb, wb, _ in b.acc:
            if pb is NO_OP or not (wa or wb):
                continue
            if pa == ANY or pb == ANY:
                return True
            if oa is None or ob is None:
                if oa is None and ob is None and pa == pb:
                    return True
                continue
            if (pa is _WHOLE or pb is _WHOLE or pa == pb) and _same(oa, ob, root):
                return True
    return False


class _Branch:
    """A node of a wakeup tree: the thread to run, its step there, and what follows."""

    __slots__ = ("tid", "event", "children")

    def __init__(self, tid: int, event: _Event, children: list["_Branch"]) -> None:
        self.tid = tid
        self.event = event
        self.children = children


class _Node:
    """A position of the current path (before its step)."""

    __slots__ = ("enabled", "chosen", "sleep", "pending", "event")

    def __init__(self, enabled: tuple[int, ...] | None, chosen: int, sleep: dict[int, _Event],
                 pending: list[_Branch]) -> None:
        self.enabled = enabled  # None: only one thread could run here
        self.chosen = chosen
        self.sleep = sleep
        self.pending = pending  # the wakeup tree's other branches here (the chosen one runs now)
        self.event: _Event | None = None


class DPORStrategy:
    name = "dpor"

    def __init__(self) -> None:
        self.exhausted = False
        #: executions that turned out equivalent to one explored before (every thread asleep)
        self.redundant = 0
        self._stack: list[_Node] = []
        self._events: list[_Event] = []
        #: the next steps of the threads left parked when the execution ended (they never ran)
        self._parked: list[_Event] = []
        self._spawns: dict[int, tuple[int, int]] = {}
        self._names: dict[int, _Name] = {}
        self._new_names = 0
        self._guide: list[_Branch] = []
        self._fresh = 0  # the first position whose step differs from the execution before
        self._blocked = False
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
            if self._blocked:
                self.redundant += 1
            self._analyse()
            if not self._backtrack():
                self.exhausted = True
                return False
        self._started = True
        self._events = []
        self._parked = []
        self._spawns = {}
        self._names = {}
        self._blocked = False
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
        return self._new_node(tuple(runnable), current, current).chosen

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
                self._new_node(None, tid, tid)
        self._new_names = 0
        if guard is not None:
            name, part = self._name(guard[0], pos)
            guard = ((name, part), guard[1])
        event = _Event(tid, guard)
        self._stack[pos].event = event
        self._events.append(event)
        self._add(event, access, pos)

    def observe_op(self, tid: int, access: Access) -> None:
        events = self._events
        if events and events[-1].tid == tid:
            self._add(events[-1], access, len(events) - 1)
        else:  # an access before the thread's first scheduling point (the main thread, alone)
            self.observe_step(tid, access, None, False)

    def observe_spawn(self, parent: int, child: int, handed: Sequence[int] = ()) -> None:
        pos = len(self._events)
        self._spawns[child] = (parent, pos)
        names = self._names
        for oid in handed:  # named where they are handed over, not where first touched
            if oid not in names:
                names[oid] = _Name(pos, -1 - len(names))

    def forget(self, dead: Iterable[int]) -> None:
        """Objects that died: their ids may name new objects from now on."""
        names = self._names
        for oid in dead:
            names.pop(oid, None)

    def observe_end(self, parked: Sequence[tuple[int, Access, Guard | None]]) -> None:
        pos = len(self._events)
        self._new_names = 0
        for tid, access, guard in parked:
            if guard is not None:
                name, part = self._name(guard[0], pos)
                guard = ((name, part), guard[1])
            event = _Event(tid, guard)
            self._add(event, access, pos)
            self._parked.append(event)

    def _add(self, event: _Event, access: Access, pos: int) -> None:
        key, write, state = access
        name, part = self._name(key, pos)
        event.acc.append((name, part, write, state))

    def _name(self, key: Hashable, pos: int) -> tuple[_Name | None, Any]:
        if type(key) is int:
            oid, part = key, _WHOLE
        elif type(key) is tuple and key and type(key[0]) is int:
            oid, part = key[0], key[1:] if len(key) > 2 else key[1]
        else:
            return None, key
        name = self._names.get(oid)
        if name is None:
            name = self._names[oid] = _Name(pos, self._new_names)
            self._new_names += 1
        return name, part

    # ---- choosing ------------------------------------------------------------------------

    def _new_node(self, enabled: tuple[int, ...] | None, current: int | None, first: int | None) -> _Node:
        pos = len(self._events)
        if pos:
            parent = self._stack[pos - 1]
            last = self._events[pos - 1]
            sleep = {q: e for q, e in parent.sleep.items() if q != last.tid and not dependent(e, last)}
        else:
            sleep = {}
        runnable = enabled if enabled is not None else (first,)
        chosen: int | None = None
        pending: list[_Branch] = []
        guide = self._guide
        if guide:
            self._guide = []
            if guide[0].tid in runnable:
                chosen = guide[0].tid
                pending = [b for b in guide[1:] if b.tid in runnable]
                self._guide = guide[0].children
        if chosen is None:
            awake = [t for t in runnable if t not in sleep]
            if not awake:
                self._blocked = True  # equivalent to a schedule explored before
                awake = list(runnable)
            chosen = current if current in awake else awake[0]
        node = _Node(enabled, chosen, sleep, pending)  # type: ignore[arg-type]
        self._stack.append(node)
        return node

    # ---- analysis ---------------------------------------------------------------------

    def _clocks(self) -> tuple[list[dict[int, int]], list[dict[int, int]], list[tuple[dict[int, int], dict[int, int]]]]:
        """Vector clocks of every step, and of its thread just before it; and the same pair for
        each parked step (placed after every step that ran, none of them after another)."""
        events = self._events
        spawn_at: dict[int, list[int]] = {}
        for child, (parent, at) in self._spawns.items():
            spawn_at.setdefault(at, []).append(child)
        thread: dict[int, dict[int, int]] = {}
        clocks: list[dict[int, int]] = []
        before: list[dict[int, int]] = []
        by_key: dict[Any, list[int]] = {}
        anywhere: list[int] = []

        def clock(j: int, ev: _Event) -> tuple[dict[int, int], dict[int, int], set[Any], bool]:
            pre = thread.get(ev.tid, {})
            vc = dict(pre)
            keys = set()
            wild = False
            for name, part, _, _ in ev.acc:
                if part is NO_OP:
                    continue
                if part == ANY:
                    wild = True
                else:
                    keys.add(name if name is not None else part)
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
            vc[ev.tid] = vc.get(ev.tid, 0) + 1
            return vc, pre, keys, wild

        def spawn(j: int) -> None:
            for child in spawn_at.get(j, ()):
                thread[child] = dict(thread.get(self._spawns[child][0], {}))

        for j, ev in enumerate(events):
            spawn(j)
            vc, pre, keys, wild = clock(j, ev)
            if wild:
                anywhere.append(j)
            for k in keys:
                by_key.setdefault(k, []).append(j)
            clocks.append(vc)
            before.append(pre)
            thread[ev.tid] = vc
        spawn(len(events))
        parked = [clock(len(events), ev)[:2] for ev in self._parked]
        return clocks, before, parked

    def _analyse(self) -> None:
        events = self._events
        n = min(len(events), len(self._stack))
        clocks, before, parked = self._clocks()
        for j in range(max(self._fresh, 1), n):
            self._races_of(events[j], j, before[j], clocks)
        if n == len(events):
            for ev, (_, pre) in zip(self._parked, parked):
                self._races_of(ev, n, pre, clocks)

    def _races_of(self, late: _Event, j: int, pre: dict[int, int], clocks: list[dict[int, int]]) -> None:
        """The races of ``late`` (at position ``j``, or a parked step at the end) with earlier steps."""
        events = self._events
        later: list[int] = []
        for i in range(j - 1, -1, -1):
            early = events[i]
            if early.tid == late.tid:
                continue
            mine = clocks[i][early.tid]
            if pre.get(early.tid, 0) >= mine or not dependent(early, late):
                continue  # ordered already, or independent
            if not _reversible(early, late):
                continue
            direct = not any(clocks[k].get(early.tid, 0) >= mine for k in later)
            later.append(i)
            if direct:
                self._race(i, j, late, clocks, mine)

    def _race(self, i: int, j: int, late: _Event, clocks: list[dict[int, int]], mine: int) -> None:
        events = self._events
        tid = events[i].tid
        v = [events[k] for k in range(i + 1, j) if clocks[k].get(tid, 0) < mine]
        v.append(late)
        node = self._stack[i]
        if node.enabled is None or v[0].tid not in node.enabled:
            return  # nothing else could run there
        for q, asleep in node.sleep.items():
            if _weak_initial(q, asleep, v):
                return  # an explored branch starts a schedule equivalent to this one
        _insert(node.pending, [ev.kept(i) for ev in v], node.enabled)

    def _backtrack(self) -> bool:
        stack = self._stack
        del stack[len(self._events):]
        while stack:
            node = stack[-1]
            pos = len(stack) - 1
            if node.pending:
                if node.event is not None:
                    node.sleep[node.chosen] = node.event.kept(pos)
                branch = node.pending.pop(0)
                node.chosen = branch.tid
                node.event = None
                self._guide = branch.children
                self._fresh = pos
                return True
            stack.pop()
        return False


def _reversible(early: _Event, late: _Event) -> bool:
    """Whether ``late`` could have run in ``early``'s place (its guard held before ``early``)."""
    guard = late.guard
    if guard is None:
        return True
    (gname, gpart), opens = guard
    for name, part, _, state in early.acc:
        if name == gname and part == gpart and state is not None:
            return bool(opens(state))
    return True


def _weak_initial(q: int, event: _Event, w: list[_Event]) -> bool:
    """Whether running ``q`` (whose step is ``event``) first is compatible with running ``w``."""
    for f, ev in enumerate(w):
        if ev.tid == q:
            return not any(dependent(w[k], ev) for k in range(f))
    return not any(dependent(event, ev) for ev in w)


def _insert(level: list[_Branch], w: list[_Event], enabled: tuple[int, ...]) -> None:
    """Merge the schedule ``w`` into a wakeup tree (``level``: its root's branches)."""
    root = True
    while True:
        for branch in level:
            if _weak_initial(branch.tid, branch.event, w):
                w = _without(w, branch.tid)
                if not branch.children:
                    return  # a leaf: the tree already has an equivalent schedule
                level = branch.children
                root = False
                break
        else:
            if not w or (root and w[0].tid not in enabled):
                return
            chain: list[_Branch] = []
            for ev in reversed(w):
                chain = [_Branch(ev.tid, ev, chain)]
            level.append(chain[0])
            return


def _without(w: list[_Event], tid: int) -> list[_Event]:
    for k, ev in enumerate(w):
        if ev.tid == tid:
            return w[:k] + w[k + 1:]
    return w


class _BoundedNode:
    """A position of the current path, for the preemption-bounded search."""

    __slots__ = ("enabled", "chosen", "current", "preemptions", "backtrack", "done", "event")

    def __init__(self, enabled: tuple[int, ...] | None, chosen: int, current: int | None, preemptions: int) -> None:
        self.enabled = enabled  # None: only one thread could run here
        self.chosen = chosen
        self.current = current  # the thread at the point, if it could go on (else None)
        self.preemptions = preemptions  # before this position's step
        self.backtrack: set[int] = set()
        self.done = {chosen}
        self.event: _Event | None = None

    def cost(self, tid: int) -> int:
        """The preemptions that running ``tid`` here takes."""
        return int(self.current is not None and tid != self.current)


class BoundedDPORStrategy(DPORStrategy):
    """DPOR within a preemption bound: ``exhausted`` certifies that no schedule with at most
    ``bound`` preemptions fails.

    Pruning DPOR's branches by the bound alone is unsound: the one schedule DPOR keeps of a
    trace may need more preemptions than another schedule of the same trace. This is bounded
    partial-order reduction (Coons, Musuvathi, McKinley, OOPSLA 2013): races are found as in
    ``DPORStrategy``, and each reversal is scheduled where it is within the bound and, as well,
    at the last context switch before it, where switching to that thread instead costs no more
    preemptions than the switch made there. Branches are backtrack sets of threads, without
    sleep sets or wakeup trees; within the bound, schedules stay on the current thread."""

    name = "dpor"

    def __init__(self, bound: int) -> None:
        super().__init__()
        self.bound = bound
        self._stack: list[_BoundedNode] = []  # type: ignore[assignment]

    def _new_node(self, enabled: tuple[int, ...] | None, current: int | None, first: int | None) -> _BoundedNode:  # type: ignore[override]
        stack = self._stack
        pos = len(self._events)
        preemptions = 0
        if pos:
            last = stack[pos - 1]
            preemptions = last.preemptions + last.cost(last.chosen)
        runnable = enabled if enabled is not None else (first,)
        chosen = current if current in runnable else runnable[0]
        node = _BoundedNode(enabled, chosen, current if enabled is not None else None, preemptions)  # type: ignore[arg-type]
        stack.append(node)
        return node

    def _race(self, i: int, j: int, late: _Event, clocks: list[dict[int, int]], mine: int) -> None:
        events = self._events
        tid = events[i].tid
        first = next((events[k] for k in range(i + 1, j) if clocks[k].get(tid, 0) < mine), late)
        self._schedule(i, first.tid)
        # the last context switch at or before i: switching to the thread there instead costs no more
        stack = self._stack
        c = i
        while c > 0 and stack[c - 1].chosen == stack[c].chosen:
            c -= 1
        if c != i:
            self._schedule(c, first.tid)

    def _schedule(self, pos: int, tid: int) -> None:
        node = self._stack[pos]
        if node.enabled is None:
            return
        for t in ((tid,) if tid in node.enabled else node.enabled):
            if node.preemptions + node.cost(t) <= self.bound:
                node.backtrack.add(t)

    def _backtrack(self) -> bool:
        stack = self._stack
        del stack[len(self._events):]
        while stack:
            node = stack[-1]
            todo = sorted(node.backtrack - node.done)
            if todo:
                node.chosen = todo[0]
                node.done.add(todo[0])
                node.event = None
                self._fresh = len(stack) - 1  # the races before it were found by the execution before
                return True
            stack.pop()
        return False


class TraceRecorder:
    """A watcher that only records: the Mazurkiewicz trace of each execution, as a value equal
    for two executions exactly when they differ only in the order of independent steps.

    Put it beside any strategy (``recorded(strategy)``) to count the traces of a program by
    brute force, which is what an optimal DPOR explores once each."""

    def __init__(self) -> None:
        self._dpor = DPORStrategy()

    def begin(self) -> None:
        d = self._dpor
        d._events, d._spawns, d._names = [], {}, {}

    def observe_step(self, tid: int, access: Access, guard: Guard | None, at_decision: bool) -> None:
        d = self._dpor
        d._new_names = 0
        event = _Event(tid, None)
        d._events.append(event)
        d._add(event, access, len(d._events) - 1)

    def observe_op(self, tid: int, access: Access) -> None:
        d = self._dpor
        if d._events and d._events[-1].tid == tid:
            d._add(d._events[-1], access, len(d._events) - 1)
        else:
            self.observe_step(tid, access, None, False)

    def observe_spawn(self, parent: int, child: int, handed: Sequence[int] = ()) -> None:
        self._dpor.observe_spawn(parent, child, handed)

    def forget(self, dead: Iterable[int]) -> None:
        self._dpor.forget(dead)

    def observe_end(self, parked: Sequence[tuple[int, Access, Guard | None]]) -> None:
        """(Steps that never ran are no part of the trace.)"""

    def trace(self) -> frozenset[tuple[tuple[int, int], tuple[int, int]]]:
        """The ordered pairs of dependent steps of different threads, each step named by its
        thread and its index among that thread's steps."""
        events = self._dpor._events
        index: list[tuple[int, int]] = []
        count: dict[int, int] = {}
        for ev in events:
            count[ev.tid] = count.get(ev.tid, 0) + 1
            index.append((ev.tid, count[ev.tid]))
        pairs = set()
        for j, late in enumerate(events):
            for i in range(j):
                if events[i].tid != late.tid and dependent(events[i], late):
                    pairs.add((index[i], index[j]))
        return frozenset(pairs)


class recorded:  # noqa: N801 - used like a function: ``recorded(DFSStrategy(None))``
    """A strategy, with a ``TraceRecorder`` watching its executions; ``traces`` collects them."""

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy
        self.recorder = TraceRecorder()
        self.traces: set[frozenset[tuple[tuple[int, int], tuple[int, int]]]] = set()
        self._started = False
        self.exhausted = False

    @property
    def watcher(self) -> TraceRecorder:
        return self.recorder

    def new_execution(self) -> bool:
        if self._started:
            self.traces.add(self.recorder.trace())
        self._started = True
        self.recorder.begin()
        going = bool(self.strategy.new_execution())
        self.exhausted = bool(getattr(self.strategy, "exhausted", False))
        return going

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        return int(self.strategy.next_task(runnable, current))
