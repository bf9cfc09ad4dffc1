"""The epoll reactor: one loop thread, a connection state machine, four execution models.

Some facts about epoll this module relies on
--------------------------------------------
* ``selectors`` cannot pass ``EPOLLONESHOT`` or ``EPOLLET``, so ``select.epoll`` is used directly.
* Level-triggered (the default) reports an fd as long as it is readable. One ``recv`` per wake-up
  is therefore correct: whatever is left is reported again on the next ``poll``. The ``inline``
  model uses this; it costs one system call per request instead of "read until EAGAIN".
* Edge-triggered (``EPOLLET``) reports only *changes*; the reader must drain until ``EAGAIN`` or it
  may never hear about that data again. The listening socket is edge-triggered and the loop
  accepts until ``EAGAIN``, so a burst of connections costs one wake-up.
* ``EPOLLONESHOT`` disarms an fd after one report until ``epoll_ctl(MOD)`` re-arms it. That is how
  the ``pool`` model keeps the rule "an fd belongs to exactly one owner at a time": the loop sees a
  connection readable once, hands it to a worker, and nobody else hears about that fd until its
  owner re-arms it (for reading, or for writing when a send was partial). ``epoll_ctl`` may be
  called from any thread.
* Closing an fd removes it from the interest list and drops its pending events, so the loop may
  close a connection it owns between two ``poll`` calls without ever seeing a stale event for it.
  A worker never closes an fd itself: it hands the connection back through a queue and an
  ``eventfd`` (the wake-up fd), so an fd number is only reused after the loop has forgotten it.
* An ``epoll_ctl(MOD)`` that re-arms an fd, like the hand-back queue, orders the worker's writes
  before the loop's next look at that connection, but no race detector can see that: the
  hand-off points call ``control.release(conn)`` / ``control.acquire(conn)`` (one global read
  each when nothing observes them) so ``racelab run`` sees the edge the kernel provides.
* ``poll`` is restarted after a signal handler runs (PEP 475); ``shutdown()`` writes the eventfd,
  so a SIGINT handler that calls it wakes the loop.

Where the time goes, and the fast paths
---------------------------------------
* ``inline``: the loop of ``_inline_loop`` spells its hot path out with local names. A request
  whose exact bytes were answered before by a static route (``App.is_static``: the response
  depends on those bytes alone) is answered from a table keyed by those bytes: a dict lookup,
  one ``os.read`` and one ``os.write`` on the raw fd, no parsing, no per-request object. The
  responses of one ``poll`` batch are counted with one ``record_many`` call (before anything
  else runs, so a ``/_stats`` answer includes every response already sent); ``time.monotonic``
  is read once per batch. Everything else (partial, pipelined, new or logged requests, errors,
  shutdown) takes the general path, which parses and calls the handler.
* ``pool``: every hand-off between threads is a thread switch (the GIL passes to the thread it
  wakes), and a switch costs more than answering a small request. So the loop hands the
  connections that became readable in one ``poll`` to one worker as a ``Batch`` (one wake-up
  per batch, not per request), and the workers read, write and re-arm through ``rawio``,
  whose calls never block and keep the GIL, so a worker answers its whole batch without
  another thread cutting in at every system call. The loop waits for a batch of several to
  finish (``STALL`` seconds at most) before it polls again: the requests that arrive
  meanwhile make the next batch bigger, and the loop is not woken by the kernel in the middle
  of a batch only to queue for the GIL. A handler that blocks must not hold up the rest of
  its batch: the loop polls every ``STALL`` seconds while batches are being served, and gives
  each connection still waiting in a batch that made no progress for that long to a spare
  worker of its own. So a slow handler delays the requests that arrived with it by about a
  millisecond, never by its own duration.

Deadlines (idle keep-alive, slow header, slow reader) live in a ``SortedList`` of
``(deadline, conn_id, conn)``. An entry is not moved when a request pushes the deadline back; the
connection's own ``deadline`` attribute is (a plain store, cheap, from any thread). When an entry
comes due, the loop re-inserts it if the connection's deadline moved or a worker owns it, and
closes the connection otherwise. Each open connection has exactly one entry.

Graceful shutdown: stop accepting (close the listener), close every connection that is idle,
answer requests already received with ``Connection: close``, wait up to ``drain_timeout`` for the
rest, then stop the workers. The drain step reads the state of every open connection, including
one a worker owns at that moment: a known, benign race (``racelab run`` reports it on
``Conn.state``): the loop closes only a connection it reads as ``IDLE``, and a worker whose re-arm
then fails (``epoll_ctl`` on a closed fd) drops the connection.
"""

from __future__ import annotations

import collections
import enum
import errno
import json
import os
import select
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from sortedcontainers import SortedList

from racelab._core import control
from racelab.server import http, rawio
from racelab.server.app import App
from racelab.server.state import ConnRecord, Remedies, SharedState
from racelab.server.workerpool import WorkerPool

RECV_SIZE = 65536
_DONTWAIT = socket.MSG_DONTWAIT
_monotonic = time.monotonic
MAX_EVENTS = 1024
_ARM_READ = select.EPOLLIN | select.EPOLLONESHOT
STALL = 0.001
"""Pool model: a batch whose worker has taken no connection from it for this long (s) is split."""


class Model(enum.Enum):
    INLINE = "inline"
    POOL = "pool"
    THREAD = "thread-per-connection"
    PROCESS = "process-per-connection"


class ConnState(enum.Enum):
    IDLE = "idle"  # armed for reading, nothing buffered
    READING = "reading"  # armed for reading, part of a request buffered
    BUSY = "busy"  # owned by a worker (or the loop, inline) while requests are handled
    WRITING = "writing"  # the loop owns it and flushes a partial response on EPOLLOUT
    LINGER = "linger"  # a final response was sent; waiting for the peer's EOF before closing
    CLOSED = "closed"


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    model: Model = Model.INLINE
    remedies: Remedies = field(default_factory=Remedies)
    max_workers: int = 64
    max_idle_worker: float = 10.0
    idle_timeout: float = 15.0
    header_timeout: float = 5.0
    max_header: int = http.MAX_HEADER_BYTES
    backlog: int = 4096
    log_path: str | None = None
    drain_timeout: float = 10.0
    max_batch: int = 64
    """Pool model: the most connections the loop hands to one worker at once (1: one each)."""


class Conn:
    __slots__ = ("sock", "fd", "id", "inbuf", "out", "state", "deadline", "close_after", "arm_read")

    def __init__(self, sock: socket.socket, conn_id: int, deadline: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.id = conn_id
        self.inbuf = bytearray()
        self.out = b""
        self.state = ConnState.IDLE
        self.deadline = deadline
        self.close_after = False
        self.arm_read = b""  # pool model, raw I/O: the epoll_event that re-arms the fd for reading


class Batch:
    """Pool model: connections that became readable in one ``poll``, served by one worker.

    The worker takes connections from the left; the loop, finding the batch stalled (``taken``
    unchanged for ``STALL`` seconds: a handler blocks), takes the rest from the right and gives
    each to a spare worker. Each ``deque`` call is atomic, so every connection has one owner.
    A batch of several has a ``done`` lock, held until its worker has emptied it, on which the
    loop waits (for ``STALL`` seconds at most) before it polls again."""

    __slots__ = ("conns", "taken", "seen", "seen_at", "done")

    def __init__(self, conns: list[Conn], now: float) -> None:
        self.conns = collections.deque(conns)
        self.done: Any = None
        if len(conns) > 1:
            self.done = threading.Lock()
            self.done.acquire()
        self.taken = 0  # written by the worker only
        self.seen = 0  # what the loop saw of ``taken``, and when
        self.seen_at = now


class Server:
    """``Server(options).bind()`` then ``serve_forever()`` on some thread; ``shutdown()`` from any."""

    def __init__(
        self,
        options: ServerOptions,
        state: SharedState | None = None,
        app_cls: type[App] = App,
        pool_cls: type[WorkerPool[Any]] = WorkerPool,
    ) -> None:
        """``state``/``app_cls``/``pool_cls`` let a scenario pass instrumented copies in."""
        self.options = options
        self._max_header = options.max_header
        self._header_timeout = options.header_timeout
        self._idle_timeout = options.idle_timeout
        self.state = state if state is not None else SharedState(options.remedies, options.log_path)
        self.app = app_cls(self.state, self._extra_stats)
        self._pool_cls = pool_cls
        self.address: tuple[str, int] | None = None
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._conns: dict[int, Conn] = {}
        self._deadlines: SortedList = SortedList()
        self._handback: collections.deque[Conn] = collections.deque()
        self._events: collections.Counter[str] = collections.Counter()
        self._events_lock = threading.Lock()
        self._pool: WorkerPool[Batch] | None = None
        self._threads: dict[int, tuple[threading.Thread, Conn]] = {}
        self._threads_lock = threading.Lock()
        self._children: dict[int, tuple[int, int]] = {}  # pipe fd -> (pid, conn id)
        self._child_data: dict[int, bytearray] = {}
        self._ep: Any = None
        self._epfd = -1
        self._listener: socket.socket | None = None
        self._wake_fd = -1
        # Pool model: workers' reads, writes and re-arms keep the GIL (see ``rawio``; while
        # exploring, each of them is a scheduling point as the socket methods are).
        self._raw = options.model is Model.POOL and rawio.AVAILABLE
        self._buffers = threading.local()
        self._ready: list[Conn] = []  # pool model: readable in this poll, for the next batch
        self._batches: list[Batch] = []  # pool model: batches of two or more being served
        self._batch_count = self._batched = 0  # pool model: batches handed out, connections in them
        self._static: dict[bytes, bytes] = {}
        self._static_on = self.state.log.path is None  # a logged request must reach the handler

    # ------------------------------------------------------------------ setup and teardown

    def bind(self) -> tuple[str, int]:
        opts = self.options
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((opts.host, opts.port))
        listener.listen(opts.backlog)
        listener.setblocking(False)
        self._listener = listener
        self._ep = select.epoll()
        self._epfd = self._ep.fileno()
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._ep.register(listener.fileno(), select.EPOLLIN | select.EPOLLET)
        self._ep.register(self._wake_fd, select.EPOLLIN)
        if opts.model is Model.POOL:
            self._pool = self._pool_cls(self._pool_work, opts.max_workers, opts.max_idle_worker)
        host, port = listener.getsockname()[:2]
        self.address = (host, port)
        return self.address

    def shutdown(self) -> None:
        """Begin a graceful shutdown; safe from any thread and from a signal handler."""
        self._stop_requested.set()
        self._wake()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)

    def _wake(self) -> None:
        try:
            os.eventfd_write(self._wake_fd, 1)
        except OSError:
            pass

    # ----------------------------------------------------------------------------- the loop

    def serve_forever(self) -> None:
        if self._ep is None:
            self.bind()
        try:
            self._loop()
        finally:
            self._teardown()

    def _loop(self) -> None:
        if self.options.model is Model.INLINE:
            self._inline_loop()
            return
        ep, conns = self._ep, self._conns
        listen_fd = self._listener.fileno() if self._listener else -1
        wake_fd = self._wake_fd
        on_event = {
            Model.INLINE: self._inline_event,
            Model.POOL: self._pool_event,
            Model.PROCESS: self._dispatch_event,
        }.get(self.options.model, self._inline_event)
        last_clean = time.monotonic()
        drain_until: float | None = None
        while True:
            for fd, ev in ep.poll(self._poll_timeout(drain_until is not None), MAX_EVENTS):
                conn = conns.get(fd)
                if conn is not None:
                    on_event(conn, ev)
                elif fd == listen_fd:
                    self._accept()
                elif fd == wake_fd:
                    self._drain_wake()
                elif fd in self._children:
                    self._child_readable(fd)
            if self._ready:
                self._dispatch()
            now = time.monotonic()
            if self._batches:
                self._split_stalled(now)
            if self._deadlines and self._deadlines[0][0] <= now:
                self._expire(now)
            if now - last_clean >= 1.0:
                last_clean = now
                self._housekeeping()
            if self._stop_requested.is_set():
                if drain_until is None:
                    drain_until = now + self.options.drain_timeout
                    self._stop_accepting()
                if self._drain_step() or now >= drain_until:
                    return

    def _inline_loop(self) -> None:
        """The inline model's loop, its hot path spelled out with local names.

        The common event, an idle connection whose read brings one request the loop has
        answered before with a static response (see ``_remember_static``), costs a dict lookup
        and two system calls (``read``, ``write``) on the raw fd. The responses of one ``poll``
        batch are counted once, after the batch, or before anything else runs in between (a
        ``/_stats`` answer must include every response already sent). Anything else goes to
        the general path, ``_inline_event``."""
        ep_poll, conns_get = self._ep.poll, self._conns.get
        listen_fd = self._listener.fileno() if self._listener else -1
        wake_fd, stop = self._wake_fd, self._stop_requested
        static_get, no_static = self._static.get, {}.get
        record_many = self.state.counters.record_many
        read, write, monotonic = os.read, os.write, time.monotonic
        idle_state, idle_timeout, recv_size, max_events = ConnState.IDLE, self._idle_timeout, RECV_SIZE, MAX_EVENTS
        event = self._inline_event
        last_clean = monotonic()
        drain_until: float | None = None
        while True:
            events = ep_poll(self._poll_timeout(drain_until is not None), max_events)
            now = monotonic()
            idle_deadline = now + idle_timeout
            lookup = static_get if self._static_on and not stop.is_set() else no_static
            served = nbytes = 0
            for fd, ev in events:
                conn = conns_get(fd)
                if conn is None:
                    if served:
                        record_many(200, nbytes, served)
                        served = nbytes = 0
                    self._other_event(fd, listen_fd, wake_fd)
                    continue
                if conn.state is idle_state:
                    try:
                        data = read(fd, recv_size)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = None
                    if data:
                        out = lookup(data)
                        if out is not None:
                            served += 1
                            nbytes += len(out)
                            try:
                                sent = write(fd, out)
                            except BlockingIOError:
                                sent = 0
                            except OSError:
                                sent = -1
                            if sent == len(out):
                                conn.deadline = idle_deadline
                                continue
                            record_many(200, nbytes, served)
                            served = nbytes = 0
                            if sent < 0:
                                self._note_event("resets")
                            conn.deadline = idle_deadline
                            self._after_send(conn, out, sent, False)
                            continue
                    if served:
                        record_many(200, nbytes, served)
                        served = nbytes = 0
                    self._inline_data(conn, data)
                else:
                    if served:
                        record_many(200, nbytes, served)
                        served = nbytes = 0
                    event(conn, ev)
            if served:
                record_many(200, nbytes, served)
            if self._deadlines and self._deadlines[0][0] <= now:
                self._expire(now)
            if now - last_clean >= 1.0:
                last_clean = now
                self._housekeeping()
            if stop.is_set():
                if drain_until is None:
                    drain_until = now + self.options.drain_timeout
                    self._stop_accepting()
                if self._drain_step() or now >= drain_until:
                    return

    def _other_event(self, fd: int, listen_fd: int, wake_fd: int) -> None:
        if fd == listen_fd:
            self._accept()
        elif fd == wake_fd:
            self._drain_wake()
        elif fd in self._children:
            self._child_readable(fd)

    def _poll_timeout(self, draining: bool) -> float:
        if self._batches:
            return STALL
        if draining or self._children:
            return 0.05
        if self._deadlines:
            return max(0.0, min(1.0, self._deadlines[0][0] - time.monotonic()))
        return 1.0

    def _drain_wake(self) -> None:
        try:
            os.eventfd_read(self._wake_fd)
        except BlockingIOError:
            pass
        while self._handback:
            conn = self._handback.popleft()
            control.acquire(conn)
            self._close(conn)

    def _housekeeping(self) -> None:
        if self._pool is not None:
            self._pool.clean()
        if self.options.model is Model.PROCESS:
            self._reap_children()

    # --------------------------------------------------------------------------- accepting

    def _accept(self) -> None:
        assert self._listener is not None
        model = self.options.model
        while True:
            try:
                sock, peer = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:  # EMFILE and friends: try again on the next wake-up
                self._note_event(f"accept_error_{errno.errorcode.get(exc.errno or 0, exc.errno)}")
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Conn(sock, self.state.next_conn_id(), time.monotonic() + self.options.idle_timeout)
            self.state.table.add(ConnRecord(conn.id, f"{peer[0]}:{peer[1]}", time.time()))
            if model is Model.THREAD:
                self._start_thread(conn)
            else:
                self._register(conn)

    def _register(self, conn: Conn) -> None:
        conn.sock.setblocking(False)
        if self._raw:
            conn.arm_read = rawio.epoll_event(select.EPOLLIN | select.EPOLLONESHOT, conn.fd)
        self._conns[conn.fd] = conn
        flags = select.EPOLLIN | select.EPOLLONESHOT if self.options.model is Model.POOL else select.EPOLLIN
        self._ep.register(conn.fd, flags)
        self._deadlines.add((conn.deadline, conn.id, conn))

    # ------------------------------------------------------------- request processing (shared)

    def _process(self, conn: Conn, data: bytes) -> tuple[bytes, bool]:
        """Append ``data``, answer every complete request; returns (output, close afterwards)."""
        inbuf = conn.inbuf
        fresh = not inbuf
        inbuf += data
        requests, error = http.parse_requests(inbuf, self._max_header)
        if error is None and len(requests) == 1:  # the common case, kept short: one request
            req = requests[0]
            close = not req.keep_alive or self._stop_requested.is_set()
            out = self.app(req, close)
            if fresh and not close and not inbuf and self._static_on and self.app.is_static(req):
                self._remember_static(bytes(data), out)
            return out, close
        app = self.app
        out: list[bytes] = []
        close = False
        stopping = self._stop_requested.is_set()
        last = len(requests) - 1
        for i, req in enumerate(requests):
            close = not req.keep_alive or (stopping and i == last and error is None)
            out.append(app(req, close))
            if close:
                break
        if error is not None and not close:
            body = http.error_response(error)
            self.state.counters.record(error.status.value, len(body))
            out.append(body)
            close = True
        if stopping and not close and not conn.inbuf and out:
            close = True  # the last response went out without the header; close after it anyway
        return b"".join(out), close

    def _remember_static(self, request: bytes, response: bytes) -> None:
        """``request`` (exactly one whole request, keep-alive, no body) was answered by a static
        route: a byte-identical request gets the same bytes. Bounded like the head cache; each
        step is one atomic dict call, so workers may share the table."""
        static = self._static
        if len(static) >= http.HEAD_CACHE_SIZE:
            static.clear()
        static[request] = response

    def _respond(self, conn: Conn, data: bytes) -> tuple[bytes, bool]:
        """``_process``, after a look into the table of remembered static responses."""
        if not conn.inbuf and self._static_on:
            out = self._static.get(data)
            if out is not None and not self._stop_requested.is_set():
                self.state.counters.record(200, len(out))
                return out, False
        return self._process(conn, data)

    def _timeout_for(self, conn: Conn) -> float:
        opts = self.options
        return opts.header_timeout if conn.inbuf else opts.idle_timeout

    # ------------------------------------------------------------------------ inline model

    def _inline_event(self, conn: Conn, ev: int) -> None:
        if conn.state is ConnState.WRITING or conn.state is ConnState.LINGER:
            self._loop_owned_event(conn, ev)
            return
        try:
            data: bytes | None = conn.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = None
        self._inline_data(conn, data)

    def _inline_data(self, conn: Conn, data: bytes | None) -> None:
        """The loop read ``data`` from ``conn`` (None: the read failed, b"": end of stream)."""
        if data is None:
            self._note_event("resets")
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        out, close = self._process(conn, data)
        pending = conn.inbuf
        conn.deadline = _monotonic() + (self._header_timeout if pending else self._idle_timeout)
        if out:
            try:  # the common case inline: the whole response fits the socket buffer
                sent = conn.sock.send(out)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._note_event("resets")
                sent = -1
            if sent == len(out) and not close:
                conn.state = ConnState.READING if pending else ConnState.IDLE
            else:
                self._after_send(conn, out, sent, close)
        elif close:
            self._close(conn)
        else:
            conn.state = ConnState.READING if conn.inbuf else ConnState.IDLE

    def _inline_send(self, conn: Conn, data: bytes, close: bool) -> None:
        self._after_send(conn, data, self._try_send(conn, data), close)

    def _after_send(self, conn: Conn, data: bytes, sent: int, close: bool) -> None:
        """``sent`` bytes of ``data`` went out (-1: the peer is gone); the loop owns ``conn``."""
        if sent < 0:
            self._close(conn)
        elif sent < len(data):
            conn.out, conn.close_after, conn.state = data[sent:], close, ConnState.WRITING
            self._ep.modify(conn.fd, select.EPOLLOUT)
        elif close:
            self._close(conn)
        else:
            conn.state = ConnState.READING if conn.inbuf else ConnState.IDLE

    def _try_send(self, conn: Conn, data: bytes | bytearray | memoryview) -> int:
        """Bytes sent (0 on EAGAIN), or -1 when the peer is gone (reset mid-write survives)."""
        try:
            if self._raw:
                return rawio.send(conn.fd, data if type(data) is bytes else bytes(data))
            return conn.sock.send(data, _DONTWAIT)
        except BlockingIOError:
            return 0
        except OSError:
            self._note_event("resets")
            return -1

    def _loop_owned_event(self, conn: Conn, ev: int) -> None:
        """WRITING: flush on EPOLLOUT. LINGER: read until EOF, then close."""
        if conn.state is ConnState.LINGER:
            self._linger_read(conn)
            return
        sent = self._try_send(conn, conn.out)
        if sent < 0:
            self._close(conn)
            return
        conn.out = conn.out[sent:]
        conn.deadline = time.monotonic() + self.options.idle_timeout
        if conn.out:
            self._arm(conn, select.EPOLLOUT)
        elif conn.close_after:
            self._close(conn)
        else:
            # Only a partial request can be buffered here: every complete one was answered.
            conn.state = ConnState.READING if conn.inbuf else ConnState.IDLE
            self._arm(conn, select.EPOLLIN)

    def _arm(self, conn: Conn, flags: int) -> None:
        if self.options.model is Model.POOL:
            flags |= select.EPOLLONESHOT
            control.release(conn)  # the owner's writes happen before the next owner's reads
        try:
            if self._raw:
                event = conn.arm_read if flags == _ARM_READ else rawio.epoll_event(flags, conn.fd)
                rawio.epoll_modify(self._epfd, conn.fd, event)
            else:
                self._ep.modify(conn.fd, flags)
        except OSError:  # closed by the loop while idle (shutdown or timeout)
            pass

    # -------------------------------------------------------------------------- pool model

    def _pool_event(self, conn: Conn, ev: int) -> None:
        control.acquire(conn)  # see the writes of the worker that re-armed this fd
        if conn.state is ConnState.WRITING or conn.state is ConnState.LINGER:
            self._loop_owned_event(conn, ev)
            return
        conn.state = ConnState.BUSY
        self._ready.append(conn)

    def _dispatch(self) -> None:
        """Hand the connections that became readable in one ``poll`` to one worker, as a batch
        (or to several, ``max_batch`` connections each)."""
        ready, self._ready = self._ready, []
        assert self._pool is not None
        size, now = self.options.max_batch, _monotonic()
        last: Batch | None = None
        for start in range(0, len(ready), size):
            conns = ready[start:start + size]
            batch = Batch(conns, now)
            with self._events_lock:
                self._batch_count += 1
                self._batched += len(conns)
            if not self._pool.serve(batch):
                for conn in conns:
                    self._reject(conn)
            elif batch.done is not None:
                self._batches.append(batch)
                last = batch
        if last is not None:
            # Let it finish before polling again: what arrives meanwhile makes the next batch
            # bigger, and the loop is not woken mid-batch only to queue for the GIL.
            last.done.acquire(True, STALL)

    def _split_stalled(self, now: float) -> None:
        """A batch whose worker took no connection from it for ``STALL`` seconds is blocked in
        a handler: each connection still waiting in it goes to a spare worker of its own."""
        assert self._pool is not None
        pool, waiting = self._pool, []
        for batch in self._batches:
            conns = batch.conns
            if not conns:
                continue
            if batch.taken != batch.seen:
                batch.seen, batch.seen_at = batch.taken, now
            elif now - batch.seen_at >= STALL:
                while conns and pool.spare():
                    try:
                        conn = conns.pop()  # from the right end: its worker takes from the left
                    except IndexError:
                        break
                    if not pool.serve(Batch([conn], now)):
                        conns.append(conn)
                        break
                    self._note_event("batch_splits")
            if conns:
                waiting.append(batch)
        self._batches = waiting

    def _pool_work(self, batch: Batch) -> None:
        """Runs on a worker: serve the connections of ``batch`` one at a time, each with its fd
        disarmed (``EPOLLONESHOT``), until the batch is empty (the loop may take connections
        from its other end, see ``_split_stalled``).

        With raw I/O the common case is spelled out with local names: a request the server has
        answered before with a static response (see ``_remember_static``) costs a dict lookup,
        a count and three calls that keep the GIL (``recv``, ``send``, the re-arm). The
        deadline of the connections is computed once per batch (a batch takes well under the
        resolution any timeout needs). Everything else goes to ``_pool_answer``."""
        try:
            self._pool_batch(batch)
        finally:
            if batch.done is not None:
                batch.done.release()

    def _pool_batch(self, batch: Batch) -> None:
        """The body of ``_pool_work``."""
        take = batch.conns.popleft
        if not self._raw:
            while True:
                try:
                    conn = take()
                except IndexError:
                    return
                batch.taken += 1
                self._pool_serve(conn, None)
        reader = self._reader()
        recv, send, modify, epfd = reader.recv, rawio.send, rawio.epoll_modify, self._epfd
        lookup = self._static.get if self._static_on and not self._stop_requested.is_set() else {}.get
        record, release, idle = self.state.counters.record, control.release, ConnState.IDLE
        deadline = _monotonic() + self._idle_timeout
        while True:
            try:
                conn = take()
            except IndexError:
                return
            batch.taken += 1
            if conn.inbuf:
                self._pool_serve(conn, reader)
                continue
            data: bytes | None
            try:
                data = recv(conn.fd)
            except BlockingIOError:
                self._rearm_read(conn)
                continue
            except OSError:
                data = None
            out = lookup(data) if data else None
            if out is None:
                self._pool_answer(conn, data)
                continue
            record(200, len(out))
            try:
                sent = send(conn.fd, out)
            except OSError:
                self._note_event("resets")
                sent = -1
            conn.deadline = deadline
            if sent != len(out):
                self._pool_sent(conn, out, sent, False)
                continue
            conn.state = idle
            release(conn)  # see ``_arm``
            try:
                modify(epfd, conn.fd, conn.arm_read)
            except OSError:  # closed by the loop while idle (shutdown)
                pass

    def _reader(self) -> rawio.Buffer:
        """This worker thread's receive buffer."""
        local = self._buffers
        try:
            return local.buffer  # type: ignore[no-any-return]
        except AttributeError:
            local.buffer = buffer = rawio.Buffer()
            return buffer

    def _pool_serve(self, conn: Conn, reader: rawio.Buffer | None) -> None:
        """Read what the connection has, then ``_pool_answer``."""
        data: bytes | None
        try:
            data = reader.recv(conn.fd) if reader is not None else conn.sock.recv(RECV_SIZE, _DONTWAIT)
        except BlockingIOError:
            self._rearm_read(conn)
            return
        except OSError:
            data = None
        self._pool_answer(conn, data)

    def _pool_answer(self, conn: Conn, data: bytes | None) -> None:
        """Answer every complete request in ``data`` (None: the read failed, b"": end of
        stream), then re-arm the fd, or hand the connection back to the loop (a partial
        write, a close)."""
        if not data:
            if data is None:
                self._note_event("resets")
            self._finish_from_worker(conn)
            return
        out, close = self._respond(conn, data)
        conn.deadline = _monotonic() + (self._header_timeout if conn.inbuf else self._idle_timeout)
        if out:
            self._pool_sent(conn, out, self._try_send(conn, out), close)
        elif close:
            self._finish_from_worker(conn)
        else:
            self._rearm_read(conn)

    def _pool_sent(self, conn: Conn, out: bytes, sent: int, close: bool) -> None:
        """A worker sent ``sent`` bytes of ``out`` (-1: the peer is gone); what comes next."""
        if sent < 0:
            self._finish_from_worker(conn)
        elif sent < len(out):
            conn.out, conn.close_after, conn.state = out[sent:], close, ConnState.WRITING
            self._arm(conn, select.EPOLLOUT)
        elif close:
            self._finish_from_worker(conn)
        else:
            self._rearm_read(conn)

    def _rearm_read(self, conn: Conn) -> None:
        if self._stop_requested.is_set() and not conn.inbuf:
            self._finish_from_worker(conn)
            return
        conn.state = ConnState.READING if conn.inbuf else ConnState.IDLE
        self._arm(conn, select.EPOLLIN)

    def _finish_from_worker(self, conn: Conn) -> None:
        """The worker is done with ``conn``: update the shared table here, close on the loop."""
        conn.state = ConnState.CLOSED
        self.state.table.remove(conn.id)
        control.release(conn)
        self._handback.append(conn)
        self._wake()

    def _reject(self, conn: Conn) -> None:
        """The pool is full: a complete 503 with ``Connection: close``, then a lingering close."""
        try:
            conn.sock.recv(RECV_SIZE, _DONTWAIT)
        except OSError:
            pass
        data = http.SERVICE_UNAVAILABLE
        self.state.counters.record(503, len(data))
        sent = self._try_send(conn, data)
        if sent < 0:
            self._close(conn)
            return
        if sent < len(data):
            conn.out, conn.close_after, conn.state = data[sent:], True, ConnState.WRITING
            self._arm(conn, select.EPOLLOUT)
            return
        self._start_linger(conn)

    def _start_linger(self, conn: Conn) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.state = ConnState.LINGER
        conn.deadline = time.monotonic() + 1.0
        self._arm(conn, select.EPOLLIN)

    def _linger_read(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(RECV_SIZE, _DONTWAIT)
        except BlockingIOError:
            self._arm(conn, select.EPOLLIN)
            return
        except OSError:
            data = b""
        if data:
            self._arm(conn, select.EPOLLIN)
        else:
            self._close(conn)

    # ------------------------------------------------------------------ closing and timeouts

    def _close(self, conn: Conn) -> None:
        """Loop thread only."""
        if self._conns.get(conn.fd) is conn:
            del self._conns[conn.fd]
        conn.state = ConnState.CLOSED
        self.state.table.remove(conn.id)
        try:
            conn.sock.close()
        except OSError:
            pass

    def _expire(self, now: float) -> None:
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, conn_id, conn = deadlines.pop(0)
            control.acquire(conn)
            if conn.state is ConnState.CLOSED:
                continue
            if conn.deadline > now or conn.state is ConnState.BUSY:
                deadlines.add((max(conn.deadline, now + 0.05), conn_id, conn))
                continue
            if conn.close_after and conn.state is ConnState.WRITING:
                self._note_event("slow_readers")
            else:
                self._note_event("timeouts_" + conn.state.value)
            self._close(conn)

    def _note_event(self, name: str) -> None:
        with self._events_lock:
            self._events[name] += 1

    # -------------------------------------------------------------------- graceful shutdown

    def _stop_accepting(self) -> None:
        if self._listener is not None:
            try:
                self._ep.unregister(self._listener.fileno())
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def _drain_step(self) -> bool:
        """Close idle connections (again each step: a worker may have just re-armed one);
        True once nothing accepted is left."""
        for conn in list(self._conns.values()):
            control.acquire(conn)
            if conn.state is ConnState.IDLE:
                self._close(conn)
        with self._threads_lock:
            threads = list(self._threads.values())
        for _, conn in threads:
            if conn.state is ConnState.IDLE:
                _shutdown_quietly(conn.sock)
        return not self._conns and not threads and not self._children

    def _teardown(self) -> None:
        for conn in list(self._conns.values()):
            self._close(conn)
        if self._pool is not None:
            self._pool.stop()
        for fd in list(self._children):
            os.close(fd)
        self._children.clear()
        self._reap_children()
        if self._listener is not None:
            self._listener.close()
        self.state.log.close()
        if self._ep is not None:
            self._ep.close()
        os.close(self._wake_fd)
        self._stopped.set()

    # -------------------------------------------------------------- thread-per-connection

    def _start_thread(self, conn: Conn) -> None:
        thread = threading.Thread(target=self._thread_main, args=(conn,), name=f"conn-{conn.id}", daemon=True)
        with self._threads_lock:
            self._threads[conn.id] = (thread, conn)
        thread.start()

    def _thread_main(self, conn: Conn) -> None:
        try:
            self._serve_blocking(conn)
        finally:
            self.state.table.remove(conn.id)
            with self._threads_lock:
                self._threads.pop(conn.id, None)
            self._wake()

    def _serve_blocking(self, conn: Conn, on_response: Callable[[bytes], None] | None = None) -> None:
        sock = conn.sock
        sock.setblocking(True)
        try:
            if conn.inbuf:  # bytes the parent read before forking
                out, close = self._process(conn, b"")
                if out:
                    sock.sendall(out)
                if close:
                    return
            while not (self._stop_requested.is_set() and not conn.inbuf):
                sock.settimeout(self._timeout_for(conn))
                conn.state = ConnState.READING if conn.inbuf else ConnState.IDLE
                try:
                    data = sock.recv(RECV_SIZE)
                except OSError:
                    break
                if not data:
                    break
                conn.state = ConnState.BUSY
                out, close = self._process(conn, data)
                if out:
                    sock.sendall(out)
                if close:
                    break
        except OSError:
            self._note_event("resets")
        finally:
            conn.state = ConnState.CLOSED
            _shutdown_quietly(sock)
            sock.close()

    # ------------------------------------------------------------- process-per-connection

    def _dispatch_event(self, conn: Conn, ev: int) -> None:
        """The parent reads until a request head is complete. ``/_stats`` it answers itself (a
        child only has a copy of the state, frozen at fork); anything else goes to a new child,
        which inherits the bytes already read."""
        if conn.state is ConnState.WRITING or conn.state is ConnState.LINGER:
            self._loop_owned_event(conn, ev)
            return
        try:
            data = conn.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        conn.inbuf += data
        complete = b"\r\n\r\n" in conn.inbuf or len(conn.inbuf) > self.options.max_header
        if not complete:
            conn.state = ConnState.READING
            conn.deadline = time.monotonic() + self.options.header_timeout
        elif conn.inbuf.startswith(b"GET /_stats"):
            out, close = self._process(conn, b"")
            self._inline_send(conn, out, close)
        else:
            self._ep.unregister(conn.fd)
            del self._conns[conn.fd]
            self._fork_child(conn)

    def _fork_child(self, conn: Conn) -> None:
        """The child serves one connection and reports what it recorded through its own pipe."""
        self.state.log.flush()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            self._child_main(conn, write_fd)
        os.close(write_fd)
        conn.sock.close()
        conn.state = ConnState.CLOSED
        self._children[read_fd] = (pid, conn.id)
        self._child_data[read_fd] = bytearray()
        self._ep.register(read_fd, select.EPOLLIN)

    def _child_main(self, conn: Conn, write_fd: int) -> None:
        status = 0
        try:
            if self._listener is not None:
                self._listener.close()
            self._ep.close()
            recorded: list[tuple[int, int]] = []
            self.state.counters = _RecordingCounters(recorded)
            self._serve_blocking(conn)
            self.state.log.flush()
            os.write(write_fd, json.dumps(recorded).encode())
        except BaseException:  # noqa: BLE001 - a child must never return into the parent's loop
            status = 1
        finally:
            os._exit(status)

    def _child_readable(self, fd: int) -> None:
        chunk = os.read(fd, 65536)
        if chunk:
            self._child_data[fd] += chunk
            return
        self._ep.unregister(fd)
        os.close(fd)
        pid, conn_id = self._children.pop(fd)
        data = bytes(self._child_data.pop(fd))
        for status, nbytes in json.loads(data or b"[]"):
            self.state.counters.record(status, nbytes)
        self.state.table.remove(conn_id)
        self._reap_children()

    def _reap_children(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    # ------------------------------------------------------------------------------ stats

    def _extra_stats(self) -> dict[str, Any]:
        with self._events_lock:
            events = dict(self._events)
        out: dict[str, Any] = {"model": self.options.model.value, "events": events}
        if self._pool is not None:
            out["pool"] = self._pool.statistics()
            with self._events_lock:
                out["pool"].update(batches=self._batch_count, served=self._batched)
        if self.options.model is Model.THREAD:
            with self._threads_lock:
                out["threads"] = len(self._threads)
        return out


class _RecordingCounters:
    """In a forked child: remember each response so the parent can count it."""

    def __init__(self, recorded: list[tuple[int, int]]) -> None:
        self._recorded = recorded

    def record(self, status: int, nbytes: int) -> None:
        self._recorded.append((status, nbytes))

    def snapshot(self) -> dict[str, int]:
        return {"requests": len(self._recorded)}


def _shutdown_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def start_in_thread(options: ServerOptions) -> tuple[Server, threading.Thread]:
    """Bind, then serve on a daemon thread; for tests and benchmarks."""
    server = Server(options)
    server.bind()
    thread = threading.Thread(target=server.serve_forever, name="racelab-server", daemon=True)
    thread.start()
    return server, thread


def set_switch_interval(seconds: float | None) -> None:
    if seconds is not None:
        sys.setswitchinterval(seconds)
