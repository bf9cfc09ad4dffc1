"""Happens-before data-race detection in the style of FastTrack.

Semantics
---------
* Plain reads and writes of attributes, items (by index, key or slice), module globals and
  closure variables are *data accesses*. Two accesses from different threads to the same
  location, at least one a write, not ordered by happens-before, are a **data race**.
* *Atomic* accesses are the single C-level operations of a built-in container: a call of
  one of its methods (``list.append``, ``dict.setdefault``), and the reads Python makes
  through its protocols (``len``, ``in``, truthiness, one step of an iteration, a copy,
  ``==``). Two atomic accesses never race with each other; an atomic access and a plain
  one of the same location race as two plain ones would (a ``len(d)`` unordered with a
  ``d['new'] = 1``). Atomic accesses of one container are also ordered among themselves,
  like a release followed by an acquire on the container.
* ``atomic(obj)`` events (an ``AtomicInt`` operation, a file-handle operation, a generator
  step) only order, like a release followed by an acquire on ``obj``.
* Happens-before is program order plus the ``release(sync)`` → ``acquire(sync)`` edges of the
  event stream (thread start and join, lock hand-offs, Condition notify, Semaphore, Event,
  Barrier, queue put → get, Future completion → result, executor submit → task).
* Locations: ``(obj, part)``. A part ``WHOLE`` is all of a container (it conflicts with the
  access of any part of it: every key, and ``SIZE``); ``SIZE`` is how many items it holds,
  written by every change that adds or removes one. A slice ``(id(container), ("slice",
  start, stop, step))`` touches every index in its range; a slice of more than 64 elements,
  or one that could not be resolved, counts as ``WHOLE``.

How
---
Every thread has a vector clock (a list of ints indexed by thread id, see ``vclock``). A
location's shadow ``Cell`` keeps the *epoch* (thread, clock) of its last write and of the
reads since then (one epoch while they are ordered, one per thread once two are concurrent),
each with the code and instruction that made it and whether it was atomic. An access races
with a recorded epoch ``c@t`` of another thread when ``c > C_now[t]`` (the current thread has
not seen it) unless both are atomic. A write that does not race supersedes every earlier
access, so the cell is reset to that write alone. Accesses in the same epoch as the recorded
one return at once. ``_conflicts`` is the one definition of what races; ``_record`` and
``_check`` apply it, and live mode's fast paths (``racelab.detect.live``) decide only the
cases where it can find nothing, tested against it on random access scripts.

The detector lives across every execution of one scenario: ``begin`` resets clocks and shadow
memory (locations are keyed by ``id()``, valid for one execution only) while the list of
races accumulates, deduplicated by location and source-line pair. A race is attached to the
replay token of the execution where it was first seen, which ``end`` provides.
"""

from __future__ import annotations

import os
from types import CodeType, FrameType
from typing import Any, Callable, Hashable

from racelab._core.events import WHOLE, Op
from racelab.detect import vclock
from racelab.detect.records import Access, Race, RaceKind, place_of, source_line
from racelab.detect.vclock import VClock

SLICE_LIMIT = 64
"""A slice longer than this is recorded as an access to the whole container."""

_READ = Op.READ
_WRITE = Op.WRITE


class Cell:
    """The shadow of one location (FastTrack's epochs, see the module docstring).

    ``writer``/``wclock`` is the epoch of the last write (``writer`` -1: none yet), with the
    code and instruction offset that made it (``place_of`` turns them into a line) and
    whether it was atomic. ``reader``/``rclock`` is the read epoch that stands for every read
    since the write while they are ordered (``reader`` -1: none); once two are concurrent,
    ``shared`` maps each reader to ``(clock, code, offset, atomic)`` instead.
    """

    __slots__ = ("writer", "wclock", "wcode", "wat", "watomic",
                 "reader", "rclock", "rcode", "rat", "ratomic", "shared")

    def __init__(self) -> None:
        self.writer = -1
        self.wclock = 0
        self.wcode: CodeType | None = None
        self.wat = 0
        self.watomic = False
        self.reader = -1
        self.rclock = 0
        self.rcode: CodeType | None = None
        self.rat = 0
        self.ratomic = False
        self.shared: dict[int, tuple[int, CodeType | None, int, bool]] | None = None

    def written(self, tid: int, clock: int, code: CodeType | None, at: int, atomic: bool) -> None:
        """The cell after a write that supersedes every recorded access."""
        self.writer = tid
        self.wclock = clock
        self.wcode = code
        self.wat = at
        self.watomic = atomic
        self.reader = -1
        self.shared = None

    def read_by(self, tid: int, clock: int, code: CodeType | None, at: int, atomic: bool) -> None:
        """The single read epoch becomes this read (the earlier one happens before it)."""
        self.reader = tid
        self.rclock = clock
        self.rcode = code
        self.rat = at
        self.ratomic = atomic

    def state(self) -> tuple[Any, ...]:
        """Every field, for comparisons in tests (the read epoch only when there is one)."""
        read = (self.reader, self.rclock, self.rcode, self.ratomic) if self.reader >= 0 else None
        return (self.writer, self.wclock, self.wcode, self.watomic, read,
                None if self.shared is None else dict(self.shared))


_PendingSide = tuple[int, "CodeType | None", int, Op]  # tid, code, instruction offset, op


def _short_place(place: tuple[str, int]) -> str:
    return f"{os.path.basename(place[0])}:{place[1]}"


class RaceDetector:
    """An ``Observer`` that reports data races (see the module docstring for the semantics).

    ``races`` accumulates over every execution; ``races_in_execution`` counts the races seen
    in the current one (duplicates included), and ``on_race``, when given, is called with each
    race (with ``schedule=None``) the moment it is detected; ``first_in_execution`` describes
    the first race of the current execution in one line (None while there is none).
    """

    def __init__(self, on_race: Callable[[Race], None] | None = None) -> None:
        self.races: list[Race] = []
        self.races_in_execution = 0
        self.first_in_execution: str | None = None
        self._on_race = on_race
        self._seen: set[tuple[str, tuple[tuple[str, int], ...]]] = set()
        self._pending: list[Race] = []
        self._names: dict[int, str] = {}
        self._clocks: dict[int, VClock] = {}
        self._syncs: dict[Hashable, VClock] = {}
        self._atomics: dict[Hashable, VClock] = {}
        self._locks: dict[Hashable, list] = {}  # [clock, last releaser or -1, last acquirer]
        self._shadow: dict[Hashable, Cell] = {}
        #: container -> the locations of its parts that have a cell (``(obj, part)`` locations)
        self._cells_of: dict[Hashable, set[Hashable]] = {}
        #: the containers that have a ``WHOLE`` cell (their parts' accesses check it too)
        self._wholes: dict[Hashable, bool] = {}

    # -- execution boundaries -------------------------------------------------------------

    def begin(self, names: dict[int, str]) -> None:
        self._flush(None)
        self._names = names
        self._clocks = {}
        self._syncs = {}
        self._atomics = {}
        self._locks = {}
        self._shadow = {}
        self._cells_of = {}
        self._wholes = {}
        self.races_in_execution = 0
        self.first_in_execution = None

    def end(self, schedule: str | None) -> None:
        self._flush(schedule)

    def _flush(self, schedule: str | None) -> None:
        for race in self._pending:
            self.races.append(Race(race.kind, race.location, race.first, race.second, schedule))
        self._pending = []

    # -- happens-before -------------------------------------------------------------------

    def _thread(self, tid: int) -> VClock:
        clock = vclock.fresh(tid)
        self._clocks[tid] = clock
        return clock

    def release(self, tid: int, sync: Hashable) -> None:
        clock = self._clocks.get(tid) or self._thread(tid)
        held = self._syncs.get(sync)
        if held is None:
            self._syncs[sync] = clock.copy()
        else:
            vclock.join_into(held, clock)
        clock[tid] += 1

    def acquire(self, tid: int, sync: Hashable) -> None:
        clock = self._clocks.get(tid) or self._thread(tid)
        held = self._syncs.get(sync)
        if held is not None:
            vclock.join_into(clock, held)

    def lock_acquire(self, tid: int, lock: Hashable) -> None:
        """``acquire(lock)`` for a mutex, with the fast path of re-taking one's own lock.

        A mutex's clock is the clock of its last releaser when that thread also acquired it
        (the common case, see ``lock_release``): re-acquiring a lock one released last then
        needs no join at all.
        """
        clock = self._clocks.get(tid) or self._thread(tid)
        state = self._locks.get(lock)
        if state is None:
            self._locks[lock] = [[], -1, tid]
            return
        if state[1] != tid:
            vclock.join_into(clock, state[0])
        state[2] = tid

    def lock_release(self, tid: int, lock: Hashable) -> None:
        """``release(lock)`` for a mutex: its clock becomes the releaser's (no join needed
        when the releaser is the thread that acquired it, whose clock already covers it)."""
        clock = self._clocks.get(tid) or self._thread(tid)
        state = self._locks.get(lock)
        if state is None:
            self._locks[lock] = [clock.copy(), tid, -1]
        elif state[2] == tid:
            state[0][:] = clock
            state[1] = tid
        else:  # released by a thread that did not take it (allowed for Lock)
            vclock.join_into(state[0], clock)
            state[1] = -1
        clock[tid] += 1

    def atomic(self, tid: int, obj: Hashable) -> None:
        clock = self._clocks.get(tid) or self._thread(tid)
        held = self._atomics.get(obj)
        if held is None:
            self._atomics[obj] = clock.copy()
        else:
            vclock.join_into(clock, held)
            held[:] = clock
        clock[tid] += 1

    def lock_acquired(self, tid: int, lock: Hashable, lock_class: str, frame: FrameType | None) -> None:
        """Lock order is ``LockOrderDetector``'s business; happens-before comes as acquire()."""

    def lock_released(self, tid: int, lock: Hashable) -> None:
        """See ``lock_acquired``."""

    # -- data accesses --------------------------------------------------------------------

    def access(self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None,
               obj: object = None, atomic: bool = False) -> None:
        """A read or write of ``loc``; an ``atomic`` one also orders, as ``atomic(loc[0])``."""
        if atomic:
            self._atomic_access(tid, op, loc, name, frame)
            return
        if type(loc) is tuple and len(loc) == 2:
            part = loc[1]
            if part is WHOLE:
                self._whole_access(tid, op, loc[0], name, frame, False)
                return
            if type(part) is slice or (type(part) is tuple and len(part) == 4 and part[0] == "slice"):
                self._slice_access(tid, op, loc, name, frame)
                return
            if self._wholes and loc[0] in self._wholes:
                self._index_under_whole(tid, op, loc, name, frame, False)
        self._record(tid, op, loc, name, frame, False)

    def _atomic_access(self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None) -> None:
        container = loc[0]  # type: ignore[index]
        clock = self._clocks.get(tid) or self._thread(tid)
        held = self._atomics.get(container)
        if held is not None:
            vclock.join_into(clock, held)
        if loc[1] is WHOLE:  # type: ignore[index]
            self._whole_access(tid, op, container, name, frame, True)
        else:
            if self._wholes and container in self._wholes:
                self._index_under_whole(tid, op, loc, name, frame, True)
            self._record(tid, op, loc, name, frame, True)
        if held is None:
            self._atomics[container] = clock.copy()
        else:
            held[:] = clock
        clock[tid] += 1

    def _conflicts(self, tid: int, clock: VClock, op: Op, cell: Cell, name: str, code: CodeType | None, at: int,
                   atomic: bool) -> None:
        """Report every recorded access of ``cell`` that races with this one: the rule."""
        writer = cell.writer
        if writer != tid and writer >= 0 and cell.wclock > (clock[writer] if writer < len(clock) else 0) \
                and not (atomic and cell.watomic):
            kind = RaceKind.WRITE_WRITE if op is _WRITE else RaceKind.READ_WRITE
            self._race(kind, name, (writer, cell.wcode, cell.wat, _WRITE), (tid, code, at, op))
        if op is not _WRITE:
            return
        reader = cell.reader
        if reader >= 0:
            if reader != tid and cell.rclock > (clock[reader] if reader < len(clock) else 0) \
                    and not (atomic and cell.ratomic):
                self._race(RaceKind.READ_WRITE, name, (reader, cell.rcode, cell.rat, _READ), (tid, code, at, op))
        elif cell.shared is not None:
            for reader, (rclock, rcode, rat, ratomic) in cell.shared.items():
                if reader != tid and rclock > (clock[reader] if reader < len(clock) else 0) \
                        and not (atomic and ratomic):
                    self._race(RaceKind.READ_WRITE, name, (reader, rcode, rat, _READ), (tid, code, at, _WRITE))

    def _record(self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None, atomic: bool) -> None:
        """Check the access against its location's cell (``_conflicts``), then record it."""
        clock = self._clocks.get(tid) or self._thread(tid)
        now = clock[tid]
        cell = self._shadow.get(loc)
        code, at = (None, 0) if frame is None else (frame.f_code, frame.f_lasti)
        if cell is None:
            cell = self._shadow[loc] = Cell()
            if type(loc) is tuple and len(loc) == 2:
                parts = self._cells_of.get(loc[0])
                if parts is None:
                    self._cells_of[loc[0]] = {loc}
                else:
                    parts.add(loc)
            if op is _WRITE:
                cell.written(tid, now, code, at, atomic)
            else:
                cell.read_by(tid, now, code, at, atomic)
            return
        writer = cell.writer
        # (the common cases of ``_conflicts`` are decided inline: no other thread's epoch
        # that this one has not seen)
        unseen_write = writer != tid and writer >= 0 and cell.wclock > (clock[writer] if writer < len(clock) else 0)
        if op is _WRITE:
            if writer == tid and cell.wclock == now and (cell.watomic <= atomic):
                return  # the same epoch: nothing new
            reader = cell.reader
            if unseen_write or cell.shared is not None or (
                    reader >= 0 and reader != tid and cell.rclock > (clock[reader] if reader < len(clock) else 0)):
                self._conflicts(tid, clock, op, cell, name, code, at, atomic)
            cell.writer = tid
            cell.wclock = now
            cell.wcode = code
            cell.wat = at
            cell.watomic = atomic
            cell.reader = -1
            cell.shared = None
            return
        if cell.reader == tid and cell.rclock == now and (cell.ratomic <= atomic):
            return
        shared = cell.shared
        if shared is not None:
            mine = shared.get(tid)
            if mine is not None and mine[0] == now and (mine[3] <= atomic):
                return
        if unseen_write:
            self._conflicts(tid, clock, op, cell, name, code, at, atomic)
        if shared is not None:
            shared[tid] = (now, code, at, atomic)
            return
        reader = cell.reader
        if reader < 0 or reader == tid or cell.rclock <= (clock[reader] if reader < len(clock) else 0):
            cell.read_by(tid, now, code, at, atomic)  # the previous read happens before this one
        else:  # concurrent reads: keep one epoch per reader from now on
            cell.shared = {reader: (cell.rclock, cell.rcode, cell.rat, cell.ratomic), tid: (now, code, at, atomic)}
            cell.reader = -1

    def _check(self, tid: int, op: Op, cell: Cell, name: str, frame: FrameType | None, atomic: bool) -> None:
        """Report conflicts of an access with ``cell`` without recording the access there."""
        clock = self._clocks.get(tid) or self._thread(tid)
        code, at = (None, 0) if frame is None else (frame.f_code, frame.f_lasti)
        self._conflicts(tid, clock, op, cell, name, code, at, atomic)

    def _slice_access(self, tid: int, op: Op, loc: tuple[Hashable, Any], name: str, frame: FrameType | None) -> None:
        container, piece = loc
        start, stop, step = (piece.start, piece.stop, piece.step) if type(piece) is slice else piece[1:]
        if type(start) is int and type(stop) is int and (step is None or type(step) is int) and step != 0:
            indices = range(start, stop, step or 1)
            if len(indices) <= SLICE_LIMIT:
                for index in indices:
                    self.access(tid, op, (container, index), name, frame)
                return
        self._whole_access(tid, op, container, name, frame, False)

    def _whole_access(self, tid: int, op: Op, container: Hashable, name: str, frame: FrameType | None,
                      atomic: bool) -> None:
        """An access of all of a container: it conflicts with the access of any part of it."""
        loc = (container, WHOLE)
        clock = self._clocks.get(tid) or self._thread(tid)
        now = clock[tid]
        cell = self._shadow.get(loc)
        if cell is not None:  # the same epoch as the recorded access: nothing new
            if op is _WRITE:
                if cell.writer == tid and cell.wclock == now and cell.watomic <= atomic:
                    return
            elif cell.reader == tid and cell.rclock == now and cell.ratomic <= atomic:
                return
        self._wholes[container] = True
        shadow = self._shadow
        for key in self._cells_of.get(container, ()):
            if key is not loc and key[1] is not WHOLE:  # type: ignore[index]
                self._check(tid, op, shadow[key], name, frame, atomic)
        self._record(tid, op, loc, name, frame, atomic)

    def _index_under_whole(self, tid: int, op: Op, loc: tuple[Hashable, Hashable], name: str,
                           frame: FrameType | None, atomic: bool) -> None:
        container = loc[0]
        if loc[1] is WHOLE:
            return
        cell = self._shadow.get((container, WHOLE))
        if cell is not None:
            self._check(tid, op, cell, name, frame, atomic)

    def forget(self, objects: set[int]) -> None:
        """Drop the shadow memory of dead objects (by ``id``) before their ids are reused."""
        shadow = self._shadow
        for obj in objects & self._cells_of.keys():
            for key in self._cells_of.pop(obj):
                shadow.pop(key, None)
        for container in objects & self._wholes.keys():
            del self._wholes[container]
        for obj in objects & self._atomics.keys():
            del self._atomics[obj]

    # -- reports --------------------------------------------------------------------------

    def _race(self, kind: RaceKind, name: str, earlier: _PendingSide, later: _PendingSide) -> None:
        self.races_in_execution += 1
        first, second = place_of(earlier[1], earlier[2]), place_of(later[1], later[2])
        if self.first_in_execution is None:
            self.first_in_execution = f"{name} ({kind}: {_short_place(first)} and {_short_place(second)})"
        key = (name, (first, second) if first <= second else (second, first))
        if key in self._seen:
            return
        self._seen.add(key)
        race = Race(kind, name, self._side(earlier, first), self._side(later, second), None)
        self._pending.append(race)
        if self._on_race is not None:
            self._on_race(race)

    def _side(self, side: _PendingSide, place: tuple[str, int]) -> Access:
        tid, op = side[0], side[3]
        file, line = place
        return Access(self._names.get(tid, f"thread {tid}"), file, line, op, source_line(file, line))
