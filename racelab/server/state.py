"""The server's shared state, each piece with selectable remedies.

Why this module exists: the seed lists four ways to make code thread-safe (thread-local storage,
read-only sharing, atomic operations, mutual exclusion). Each piece of state below comes in a
``broken`` variant and one class per remedy, behind one small interface, so the same server can
be run with any mix and the load client can reconcile what the server *says* it did with what the
clients *saw*.

The broken variants are written the way real code goes wrong, not as artificial sleeps: a
read-modify-write that spans a call (``v = self.n; self._note(...); self.n = v + 1``, the shape of
gunicorn's old gthread counters), a log line written in several ``write`` calls (what ``print``
does), a pooled buffer handed back before the response built from it is copied out, and a
configuration object reloaded in place, field by field. Under load with a short switch interval
these lose updates for real.
"""

from __future__ import annotations

import collections
import enum
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from racelab.server.objpool import ObjectPool


class Piece(enum.Enum):
    COUNTERS = "counters"
    TABLE = "table"
    LOG = "log"
    BUFFERS = "buffers"
    CONFIG = "config"


class Remedy(enum.Enum):
    BROKEN = "broken"
    MUTEX = "mutex"
    ATOMIC = "atomic"
    THREAD_LOCAL = "thread_local"
    READ_ONLY = "read_only"
    FIXED = "fixed"


SUPPORTED: dict[Piece, tuple[Remedy, ...]] = {
    Piece.COUNTERS: (Remedy.BROKEN, Remedy.MUTEX, Remedy.ATOMIC, Remedy.THREAD_LOCAL),
    Piece.TABLE: (Remedy.BROKEN, Remedy.MUTEX),
    Piece.LOG: (Remedy.BROKEN, Remedy.MUTEX, Remedy.THREAD_LOCAL),
    Piece.BUFFERS: (Remedy.BROKEN, Remedy.FIXED),
    Piece.CONFIG: (Remedy.BROKEN, Remedy.READ_ONLY),
}


def resolve(piece: Piece, remedy: Remedy) -> Remedy:
    """The remedy ``piece`` gets when ``remedy`` is asked for everything: itself when supported,
    else the piece's own fix (a mutex, ``fixed`` buffers or ``read_only`` configuration)."""
    supported = SUPPORTED[piece]
    if remedy in supported:
        return remedy
    return supported[1]


def _note(what: str) -> None:
    """Where real code would log, trace or call a hook: any call inside a read-modify-write.

    Here: a trace ring buffer (``deque.append`` is one atomic C call, so the hook is not a
    race of its own, which a race detector would report for every variant, fixed or not)."""
    _TRACE.append(what)


_TRACE: collections.deque[str] = collections.deque(maxlen=256)


# --------------------------------------------------------------------------------- counters


class Counters(Protocol):
    def record(self, status: int, nbytes: int) -> None: ...

    def record_many(self, status: int, nbytes: int, count: int) -> None:
        """``count`` responses of ``status`` totalling ``nbytes``: a loop thread's tally of one
        ``poll`` batch, recorded at once."""

    def snapshot(self) -> dict[str, int]: ...


class BrokenCounters:
    """Plain attributes updated by read-modify-write with a call in the middle: loses updates."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes_out = 0
        self.by_status: dict[int, int] = {}

    def record(self, status: int, nbytes: int) -> None:
        self.record_many(status, nbytes, 1)

    def record_many(self, status: int, nbytes: int, count: int) -> None:
        n = self.requests
        _note("requests")
        self.requests = n + count
        b = self.bytes_out
        _note("bytes")
        self.bytes_out = b + nbytes
        s = self.by_status.get(status, 0)
        _note("status")
        self.by_status[status] = s + count

    def snapshot(self) -> dict[str, int]:
        return _flatten(self.requests, self.bytes_out, dict(self.by_status))


class MutexCounters(BrokenCounters):
    """The same read-modify-write, done while holding one lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, status: int, nbytes: int) -> None:
        with self._lock:
            super().record_many(status, nbytes, 1)

    def record_many(self, status: int, nbytes: int, count: int) -> None:
        with self._lock:
            super().record_many(status, nbytes, count)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return super().snapshot()


class AtomicCounters:
    """One ``AtomicInt`` per counter; the status cells are created once, by an atomic setdefault."""

    def __init__(self) -> None:
        from racelab.atomic import AtomicInt

        self._new = AtomicInt
        self.requests = AtomicInt(0)
        self.bytes_out = AtomicInt(0)
        self.by_status: dict[int, Any] = {}

    def record(self, status: int, nbytes: int) -> None:
        self.record_many(status, nbytes, 1)

    def record_many(self, status: int, nbytes: int, count: int) -> None:
        self.requests.add_and_get(count)
        self.bytes_out.add_and_get(nbytes)
        cell = self.by_status.get(status)
        if cell is None:
            cell = self.by_status.setdefault(status, self._new(0))
        cell.add_and_get(count)

    def snapshot(self) -> dict[str, int]:
        statuses = {code: cell.get() for code, cell in list(self.by_status.items())}
        return _flatten(self.requests.get(), self.bytes_out.get(), statuses)


class _Shard:
    __slots__ = ("requests", "bytes_out", "by_status")

    def __init__(self) -> None:
        self.requests = 0
        self.bytes_out = 0
        self.by_status: dict[int, int] = {}


class ThreadLocalCounters:
    """Per-thread shards, each written by its owner only; a read merges all of them.

    A merge may miss an increment that is happening right now, but it never loses one: the next
    read sees it. The shard list is the only shared structure and only grows, under a lock.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._shards: list[_Shard] = []
        self._lock = threading.Lock()

    def _shard(self) -> _Shard:
        shard = getattr(self._local, "shard", None)
        if shard is None:
            shard = _Shard()
            setattr(self._local, "shard", shard)  # per thread (setattr: not a shared write to a detector)
            with self._lock:
                self._shards.append(shard)
        return shard

    def record(self, status: int, nbytes: int) -> None:
        shard = self._shard()
        shard.requests += 1
        shard.bytes_out += nbytes
        shard.by_status[status] = shard.by_status.get(status, 0) + 1

    def record_many(self, status: int, nbytes: int, count: int) -> None:
        shard = self._shard()
        shard.requests += count
        shard.bytes_out += nbytes
        shard.by_status[status] = shard.by_status.get(status, 0) + count

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            shards = list(self._shards)
        requests = sum(s.requests for s in shards)
        nbytes = sum(s.bytes_out for s in shards)
        statuses: dict[int, int] = {}
        for shard in shards:
            for code, n in dict(shard.by_status).items():
                statuses[code] = statuses.get(code, 0) + n
        return _flatten(requests, nbytes, statuses)


def _flatten(requests: int, nbytes: int, statuses: dict[int, int]) -> dict[str, int]:
    out = {"requests": requests, "bytes_out": nbytes}
    out.update({f"status_{code}": n for code, n in sorted(statuses.items())})
    return out


def make_counters(remedy: Remedy) -> Counters:
    # Keyed by value: a scenario may hand over a Remedy from an instrumented copy of this module.
    kinds: dict[str, Callable[[], Counters]] = {
        "broken": BrokenCounters,
        "mutex": MutexCounters,
        "atomic": AtomicCounters,
        "thread_local": ThreadLocalCounters,
    }
    return kinds[remedy.value]()


# ------------------------------------------------------------------------- connection table


@dataclass(frozen=True)
class ConnRecord:
    conn_id: int
    peer: str
    opened_at: float


class ConnTable:
    """Open connections: a record per connection plus an ``open`` count kept beside it.

    The broken variant updates the count by read-modify-write; the loop thread adds, whichever
    thread finishes a connection removes, so the count drifts from ``len(records)``.
    """

    def __init__(self, locked: bool) -> None:
        self.records: dict[int, ConnRecord] = {}
        self.open = 0
        self.accepted = 0
        self.closed = 0
        self._lock: threading.Lock | None = threading.Lock() if locked else None

    def add(self, record: ConnRecord) -> None:
        if self._lock is None:
            self._add(record)
        else:
            with self._lock:
                self._add(record)

    def remove(self, conn_id: int) -> None:
        if self._lock is None:
            self._remove(conn_id)
        else:
            with self._lock:
                self._remove(conn_id)

    def _add(self, record: ConnRecord) -> None:
        self.records[record.conn_id] = record
        n = self.open
        _note("open")
        self.open = n + 1
        self.accepted += 1

    def _remove(self, conn_id: int) -> None:
        if self.records.pop(conn_id, None) is None:
            return
        n = self.open
        _note("close")
        self.open = n - 1
        self.closed += 1

    def snapshot(self) -> dict[str, int]:
        return {
            "open": self.open,
            "records": len(self.records),
            "accepted": self.accepted,
            "closed": self.closed,
        }


# ------------------------------------------------------------------------------- access log

LOG_LINE = re.compile(rb"^[0-9]+\.[0-9]{3} [A-Z]+ /\S* [0-9]{3} [0-9]+ rid=\S+$")


class AccessLog:
    """One shared binary file handle. ``broken`` writes a line field by field (as ``print`` does),
    ``mutex`` writes whole lines under a lock, ``thread_local`` keeps a per-thread buffer that is
    flushed whole (one ``write`` of complete lines)."""

    FLUSH_LINES = 64

    def __init__(self, path: str | None, remedy: Remedy) -> None:
        self.path = path
        self.remedy = remedy
        self._file = open(path, "ab") if path else None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._buffers: list[tuple[threading.Lock, list[bytes]]] = []
        self.size = 0  # bytes written so far (what a rotation policy reads); kept beside the file

    def log(self, method: bytes, path: bytes, status: int, nbytes: int, rid: bytes) -> None:
        if self._file is None:
            return
        if self.remedy.value == "broken":
            self._log_fields(method, path, status, nbytes, rid)
            return
        line = b"%.3f %s %s %d %d rid=%s\n" % (time.time(), method, path, status, nbytes, rid)
        if self.remedy.value == "mutex":
            with self._lock:
                self._file.write(line)
                self.size += len(line)
        else:
            self._log_local(line)

    def _log_fields(self, method: bytes, path: bytes, status: int, nbytes: int, rid: bytes) -> None:
        assert self._file is not None
        fields = (b"%.3f" % time.time(), method, path, b"%d" % status, b"%d" % nbytes, b"rid=" + rid)
        for i, part in enumerate(fields):
            self._file.write(part)
            self.size += len(part)
            _note("log")
            self._file.write(b"\n" if i == len(fields) - 1 else b" ")
            self.size += 1

    def _log_local(self, line: bytes) -> None:
        entry = getattr(self._local, "buf", None)
        if entry is None:
            entry = (threading.Lock(), [])
            setattr(self._local, "buf", entry)  # per thread (setattr: not a shared write to a detector)
            with self._lock:
                self._buffers.append(entry)
        lock, lines = entry
        with lock:
            lines.append(line)
            if len(lines) >= self.FLUSH_LINES:
                self._write_whole(lines)

    def _write_whole(self, lines: list[bytes]) -> None:
        assert self._file is not None
        data = b"".join(lines)
        lines.clear()
        with self._lock:
            self._file.write(data)
            self.size += len(data)

    def flush(self) -> None:
        if self._file is None:
            return
        with self._lock:
            buffers = list(self._buffers)
        for lock, lines in buffers:
            with lock:
                if lines:
                    self._write_whole(lines)
        with self._lock:
            self._file.flush()

    def check(self) -> dict[str, int]:
        """Flush, then count whole and torn lines in the file."""
        if self.path is None:
            return {"lines": 0, "torn": 0}
        self.flush()
        with open(self.path, "rb") as f:
            lines = f.read().splitlines()
        torn = sum(1 for line in lines if not LOG_LINE.match(line))
        return {"lines": len(lines), "torn": torn}

    def fileno_for_fork(self) -> None:
        """Flush before ``fork`` so no buffered line is written twice."""
        self.flush()

    def close(self) -> None:
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None


# -------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    version: int
    tag: str
    header: bytes = field(init=False, repr=False, compare=False)
    """The ``X-Config`` header line, built once: a frozen snapshot never changes."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", b"X-Config: %d:%s\r\n" % (self.version, self.tag.encode()))

    @staticmethod
    def for_version(version: int) -> "Config":
        return Config(version, f"t{version}")

    def header_for(self, version: int) -> bytes:
        """The header of a request that read ``version`` from this snapshot when it began."""
        return self.header


class MutableConfig:
    """What ``broken`` shares: one object whose fields a reload overwrites one by one."""

    def __init__(self, version: int, tag: str) -> None:
        self.version = version
        self.tag = tag

    def header_for(self, version: int) -> bytes:
        """A handler read ``version`` when it began and reads the tag now, as it writes the
        header: a reload that lands in between makes the pair inconsistent."""
        _note("config")
        return b"X-Config: %d:%s\r\n" % (version, self.tag.encode())


class ConfigStore:
    """``broken``: readers hold the live object and read its fields while a reload rewrites them.
    ``read_only``: readers get a frozen snapshot; a reload swaps the reference, atomically
    (an ``AtomicRef``: one indivisible store, and a happens-before edge a race detector sees)."""

    def __init__(self, remedy: Remedy) -> None:
        from racelab.atomic import AtomicRef

        self.remedy = remedy
        self._broken = remedy.value == "broken"
        self._mutable = MutableConfig(1, "t1")
        self._snapshot: AtomicRef[Config] = AtomicRef(Config.for_version(1))
        self._reload_lock = threading.Lock()

    def current(self) -> Config | MutableConfig:
        return self._mutable if self._broken else self._snapshot.get()

    def reload(self) -> int:
        with self._reload_lock:
            if self._broken:
                cfg = self._mutable
                version = cfg.version + 1
                cfg.version = version
                _note("reload")
                cfg.tag = f"t{version}"
                return version
            new = Config.for_version(self._snapshot.get().version + 1)
            self._snapshot.set(new)
            return new.version


# ------------------------------------------------------------------------------ the bundle


@dataclass(frozen=True)
class Remedies:
    counters: Remedy = Remedy.MUTEX
    table: Remedy = Remedy.MUTEX
    log: Remedy = Remedy.MUTEX
    buffers: Remedy = Remedy.FIXED
    config: Remedy = Remedy.READ_ONLY

    @staticmethod
    def everywhere(remedy: Remedy, **overrides: Remedy) -> "Remedies":
        chosen = {piece.value: resolve(piece, remedy) for piece in Piece}
        for name, value in overrides.items():
            piece = Piece(name)
            if value not in SUPPORTED[piece]:
                allowed = ", ".join(r.value for r in SUPPORTED[piece])
                raise ValueError(f"--{name} {value.value}: choose one of {allowed}")
            chosen[name] = value
        return Remedies(**chosen)

    def as_dict(self) -> dict[str, str]:
        return {piece.value: getattr(self, piece.value).value for piece in Piece}


class SharedState:
    """Everything the handlers share, built from one ``Remedies``."""

    def __init__(self, remedies: Remedies, log_path: str | None = None) -> None:
        self.remedies = remedies
        self.counters = make_counters(remedies.counters)
        self.table = ConnTable(locked=remedies.table.value != "broken")
        self.log = AccessLog(log_path, remedies.log)
        self.buffers: ObjectPool[bytearray] = ObjectPool(bytearray)
        self.config = ConfigStore(remedies.config)
        self._ids = iter(range(1, 1 << 62))
        self._id_lock = threading.Lock()

    def next_conn_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def stats(self, check_log: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pid": os.getpid(),
            "remedies": self.remedies.as_dict(),
            "counters": self.counters.snapshot(),
            "connections": self.table.snapshot(),
            "config_version": self.config.current().version,
            "buffers": self.buffers.statistics(),
        }
        if check_log:
            out["log"] = self.log.check()
        return out
