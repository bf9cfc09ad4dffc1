"""Sockets and epoll under control: blocking I/O becomes waiting that does not hold the baton.

Why this shape
--------------
A controlled thread that blocks in ``recv`` inside the kernel would hold the baton forever: no
other task could run to send the bytes it waits for. So, for controlled threads only, each
blocking call first *waits* at a guarded scheduling point (the task is not runnable until the
socket is ready; other tasks run meanwhile), then performs the real call, which no longer
blocks. Readiness is checked with a zero-timeout ``select``; on loopback, bytes sent by one task
are in the peer's receive queue when ``send`` returns, so readiness is a pure function of what the
tasks have done and exploration stays deterministic.

* Blocking sockets (timeout ``None``): wait without limit. Sockets with a timeout: wait on the
  virtual clock and raise ``TimeoutError`` as the real call would. Non-blocking sockets
  (timeout 0): the real call, after a scheduling point, so I/O order is explored.
* ``recv``/``send`` then run with ``MSG_DONTWAIT``; ``sendall`` waits for room before each piece.
* ``select.epoll`` is a C type whose instances cannot be patched, so the *factory* is replaced
  by ``ControlledEpoll``, a Python wrapper. Its ``poll`` waits until the real epoll reports
  something; to know, it must call the real ``poll(0)``, which consumes the events (an
  ``EPOLLONESHOT`` fd is disarmed, an edge is gone), so they are stashed and handed to the next
  ``poll``, merged with what the kernel reports then: a ``poll`` returns what one real ``poll``
  at that moment would, however often readiness was asked before. Closing or unregistering an
  fd drops its stashed events, as the kernel drops its pending ones.
* ``selectors`` (asyncio's event loop waits in ``DefaultSelector.select``): the ``select``
  method of the epoll, poll and select based selectors waits the same way, its timeout on the
  virtual clock (asyncio's ``loop.time()`` reads it too). Selectors register level-triggered
  interest only, so asking the real selector with a zero timeout consumes nothing. So
  ``asyncio.to_thread`` works: the loop waits without the baton, the executor's controlled
  thread runs, and ``call_soon_threadsafe`` wakes the loop through its self-pipe, a socket
  pair whose readiness is again a function of what the tasks did. (``subprocess`` waits for
  its child's pipes outside control: see ``racelab.sync.processes``.)

What DPOR is told: pipes
------------------------
Every operation names what it touches, so that only operations that can affect each other are
explored in both orders. A *pipe* is what travels towards one receiving end: the bytes of one
direction of a TCP connection (both ends find it by the connection's addresses), of a
``socketpair``, the connections queued on a listening port, an ``eventfd``'s counter. Sending,
receiving, accepting, connecting, closing and shutting down write the pipe's *data* (a receive
takes bytes away: the next receive, or the next readiness check, sees the difference). An epoll
has a key of its own: ``poll`` writes it and, for every fd registered in it, reads the fd's
data and writes its *arming* (a one-shot fd is disarmed by being reported); ``register``,
``modify`` and ``unregister`` write the fd's arming and read the epoll; an operation that
writes the data of a pipe whose receiver is registered in an epoll reads that epoll as well.
So two clients sending on their own connections, or two workers re-arming their own fds, are
independent; each of them and the loop's ``poll`` are not.

Blocking waits are *guarded*: a ``recv``/``accept`` that waits can run only where its socket is
readable, a ``poll`` only where its epoll has an event, and DPOR never tries to run one
before the operation that made it ready. What DPOR cannot know about (a socket created before
the execution, an fd racelab did not see opened, a datagram socket) keeps the key ``ANY``,
which conflicts with everything: sound, only slower.

Threads that are not controlled keep the real behaviour everywhere.
"""

from __future__ import annotations

import os
import select
import selectors
import socket
import weakref
from typing import Any, Callable, Hashable

from racelab._core import control
from racelab._core.control import ANY
from racelab._core.patching import Patcher

_real_select = select.select
_real_epoll = select.epoll
_S = socket.socket
_real_accept = _S.accept
_real_recv = _S.recv
_real_recv_into = _S.recv_into
_real_send = _S.send
_real_sendall = _S.sendall
_real_connect = _S.connect
_real_listen = _S.listen
_real_shutdown = _S.shutdown
_real_close = _S._real_close  # type: ignore[attr-defined]
_real_socketpair = socket.socketpair
_real_os_close = os.close
_real_eventfd = getattr(os, "eventfd", None)
_real_eventfd_read = getattr(os, "eventfd_read", None)
_real_eventfd_write = getattr(os, "eventfd_write", None)
_DONTWAIT = socket.MSG_DONTWAIT
_INET = (socket.AF_INET, socket.AF_INET6)


def _readable(sock: Any) -> bool:
    try:
        return bool(_real_select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # closed: let the real call raise


def _writable(sock: Any) -> bool:
    try:
        return bool(_real_select([], [sock], [], 0)[1])
    except (OSError, ValueError):
        return True


# ---- pipes ------------------------------------------------------------------------------


class _Pipe:
    """What travels towards one receiving end (see the module docstring)."""

    __slots__ = ("receiver", "epolls", "__weakref__")

    def __init__(self) -> None:
        #: The receiving end (a socket, or an eventfd's number), once known.
        self.receiver: Any = None
        #: The epolls the receiving end is registered in, each with its fd there.
        self.epolls: dict[ControlledEpoll, int] = {}

    def state(self) -> bool | None:
        """Whether the receiving end is readable now (None: not known), for DPOR's guards."""
        end = self.receiver
        if type(end) is weakref.ref:
            end = end()
        return None if end is None else _readable(end)


_Ends = tuple["_Pipe | None", "_Pipe | None", Any]  # (receives from, sends into, owner or None)


class _Net:
    """The pipes and epolls of one execution."""

    def __init__(self, ex: control.Execution) -> None:
        self.serial = ex.serial
        self.ex = ex
        self.pipes: dict[Hashable, _Pipe] = {}
        self.fds: dict[int, _Ends] = {}  # fd -> its ends
        self.epolls: dict[int, ControlledEpoll] = {}  # fd of the real epoll -> its wrapper

    def pipe(self, name: Hashable) -> _Pipe:
        p = self.pipes.get(name)
        if p is None:
            p = self.pipes[name] = _Pipe()
            if self.ex.watcher is not None:
                self.ex.guards[(id(p), "data")] = p.state
        return p

    def ends(self, fd: int, owner: Any = None) -> _Ends | None:
        """The ends of ``fd`` (None: unknown); ``owner``: the socket object that should own it."""
        ends = self.fds.get(fd)
        if ends is None:
            return None
        ref = ends[2]
        if ref is not None:
            sock = ref()
            if sock is None or (owner is not None and sock is not owner) or sock.fileno() != fd:
                del self.fds[fd]  # closed where racelab did not see it; the number was reused
                return None
        return ends

    def forget(self, fd: int) -> None:
        """``fd`` is being closed: it leaves every epoll (its stashed events too)."""
        ends = self.fds.pop(fd, None)
        for ep in self.epolls.values():
            ep._forget(fd)
        if ends is not None and ends[0] is not None:
            ends[0].receiver = None


_current: _Net | None = None


def _net(ex: control.Execution) -> _Net:
    global _current
    net = _current
    if net is None or net.serial != ex.serial:
        net = _current = _Net(ex)
    return net


def _controlled() -> tuple[control.Execution, control.Task] | tuple[None, None]:
    task = control.current_task()
    ex = control._active
    if task is None or ex is None:
        return None, None
    return ex, task


def _addr(a: Any) -> Any:
    return tuple(a[:2]) if isinstance(a, tuple) else a


def _connected(ex: control.Execution, sock: socket.socket, peer: Any = None) -> None:
    """``sock`` is one end of a TCP connection: find its two pipes by the addresses."""
    if sock.family not in _INET or sock.type != socket.SOCK_STREAM:
        return
    try:
        local = _addr(sock.getsockname())
        peer = _addr(sock.getpeername() if peer is None else peer)
    except OSError:
        return
    net = _net(ex)
    rx, tx = net.pipe(("tcp", peer, local)), net.pipe(("tcp", local, peer))
    rx.receiver = weakref.ref(sock)
    net.fds[sock.fileno()] = (rx, tx, weakref.ref(sock))


def _data(p: _Pipe | None) -> Hashable:
    return ANY if p is None else (id(p), "data")


def _touch(ex: control.Execution, *objs: Any) -> None:
    """Name ``objs`` for DPOR before their ids appear in a key."""
    if ex.watcher is not None:
        for obj in objs:
            if obj is not None:
                ex.watch(obj)


def _wrote(ex: control.Execution, task: control.Task, *pipes: _Pipe | None) -> None:
    """After the point of an operation that wrote these pipes' data: the rest of what it touched
    (more pipes, and every epoll their receivers are registered in, read)."""
    if ex.watcher is None:
        return
    for k, p in enumerate(pipes):
        if p is None:
            continue
        if k:
            ex.watch(p)
            ex.note_op(task, (id(p), "data"), True)
        for ep, fd in p.epolls.items():
            if ep._armed(fd):  # (a disarmed fd is not reported, whatever its data)
                ex.watch(ep)
                ex.note_op(task, id(ep), False)


def _io_point(ex: control.Execution, task: control.Task, what: str, pipe: _Pipe | None,
              wait: tuple[Callable[[], bool], float | None, bool] | None = None) -> bool:
    """The scheduling point of an I/O call that writes ``pipe``'s data (None: unknown, ``ANY``).

    ``wait``: (ready, timeout, guarded): the call cannot go on until ``ready()``; ``guarded``:
    ``ready`` is the pipe's receiver being readable, a guard DPOR may rely on. False: timed out."""
    _touch(ex, pipe)
    key = _data(pipe)
    if wait is None:
        ex.schedule(task, key, True)
        got = True
    else:
        ready, timeout, guarded = wait
        got = ex.wait_point(task, key, True, ready, what, timeout, bool if guarded and pipe is not None else None)
    if ex.verbose:
        ex.record_point(task, what if got else f"{what}: timed out", None, None)
    _wrote(ex, task, pipe)
    return got


def _ends_of(ex: control.Execution, sock: socket.socket) -> _Ends | None:
    try:
        fd = sock.fileno()
    except OSError:
        return None
    return None if fd < 0 else _net(ex).ends(fd, sock)


def _sock_op(sock: socket.socket, ex: control.Execution, task: control.Task, what: str, receive: bool,
             ready: Callable[[Any], bool]) -> bool:
    """Wait as the socket's mode says, at a point on the pipe the call touches. True: it waited,
    so the real call must not block (``MSG_DONTWAIT``); False: non-blocking, the real call as is."""
    ends = _ends_of(ex, sock)
    pipe = None if ends is None else ends[0 if receive else 1]
    timeout = sock.gettimeout()
    if timeout == 0.0:
        _io_point(ex, task, what, pipe)
        return False
    if not _io_point(ex, task, what, pipe, (lambda: ready(sock), timeout, receive)):
        raise TimeoutError("timed out")
    return True


# ---- socket methods ---------------------------------------------------------------------


def accept(self: socket.socket) -> tuple[socket.socket, Any]:
    ex, task = _controlled()
    if ex is None or task is None:
        return _real_accept(self)
    _sock_op(self, ex, task, "socket.accept", True, _readable)
    conn, peer = _real_accept(self)
    _connected(ex, conn, peer)
    return conn, peer


def recv(self: socket.socket, bufsize: int, flags: int = 0) -> bytes:
    ex, task = _controlled()
    if ex is not None and task is not None and _sock_op(self, ex, task, "socket.recv", True, _readable):
        flags |= _DONTWAIT
    return _real_recv(self, bufsize, flags)


def recv_into(self: socket.socket, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
    ex, task = _controlled()
    if ex is not None and task is not None and _sock_op(self, ex, task, "socket.recv_into", True, _readable):
        flags |= _DONTWAIT
    return _real_recv_into(self, buffer, nbytes, flags)


def send(self: socket.socket, data: Any, flags: int = 0) -> int:
    ex, task = _controlled()
    if ex is not None and task is not None and _sock_op(self, ex, task, "socket.send", False, _writable):
        flags |= _DONTWAIT
    return _real_send(self, data, flags)


def sendall(self: socket.socket, data: Any, flags: int = 0) -> None:
    ex, task = _controlled()
    if ex is None or task is None:
        return _real_sendall(self, data, flags)
    if self.gettimeout() == 0.0:
        _sock_op(self, ex, task, "socket.sendall", False, _writable)
        return _real_sendall(self, data, flags)
    view = memoryview(data).cast("B")
    while view:
        _sock_op(self, ex, task, "socket.sendall", False, _writable)
        try:
            sent = _real_send(self, view, flags | _DONTWAIT)
        except BlockingIOError:
            continue
        view = view[sent:]
    return None


def connect(self: socket.socket, address: Any) -> None:
    ex, task = _controlled()
    if ex is None or task is None:
        return _real_connect(self, address)
    queue = None
    if self.family in _INET and isinstance(address, tuple) and len(address) >= 2:
        queue = _net(ex).pipes.get(("listen", self.family, address[1]))
    _io_point(ex, task, "socket.connect", queue)  # (a connection joins the listener's queue)
    try:
        _real_connect(self, address)
    finally:
        _connected(ex, self)
    return None


def listen(self: socket.socket, *backlog: int) -> None:
    _real_listen(self, *backlog)
    ex, task = _controlled()
    if ex is None or task is None or self.family not in _INET:
        return
    net = _net(ex)
    queue = net.pipe(("listen", self.family, self.getsockname()[1]))
    queue.receiver = weakref.ref(self)
    net.fds[self.fileno()] = (queue, None, weakref.ref(self))


def shutdown(self: socket.socket, how: int) -> None:
    ex, task = _controlled()
    if ex is not None and task is not None:
        ends = _ends_of(ex, self)
        if ends is None:
            _io_point(ex, task, "socket.shutdown", None)
        else:  # (the peer reads the end of the stream; sending or receiving here fails from now on)
            _io_point(ex, task, "socket.shutdown", ends[1] or ends[0])
            _wrote(ex, task, None, ends[0] if ends[1] is not None else None)
    _real_shutdown(self, how)


def _close(self: socket.socket) -> None:
    """``socket._real_close``, which ``close()`` and leaving ``with`` call."""
    ex, task = _controlled()
    if ex is not None and task is not None:
        fd = self.fileno()
        if fd >= 0:
            ends = _net(ex).ends(fd, self)
            if ends is not None:  # (the peer sees the end of the stream, or a reset)
                _io_point(ex, task, "socket.close", ends[1] or ends[0])
                rx = ends[0] if ends[1] is not None else None
                _wrote(ex, task, None, rx)
                if rx is not None and ex.watcher is not None and rx.epolls:  # (it leaves them)
                    ex.note_op(task, (id(rx), "arm"), True)
            _net(ex).forget(fd)
    _real_close(self)


def socketpair(*args: Any, **kwargs: Any) -> tuple[socket.socket, socket.socket]:
    a, b = _real_socketpair(*args, **kwargs)
    ex, task = _controlled()
    if ex is not None and task is not None and a.type == socket.SOCK_STREAM:
        net = _net(ex)
        ab, ba = _Pipe(), _Pipe()
        for p in (ab, ba):  # (anonymous: named by themselves, not by addresses)
            net.pipes[("pair", id(p))] = p
            if ex.watcher is not None:
                ex.guards[(id(p), "data")] = p.state
        ab.receiver, ba.receiver = weakref.ref(b), weakref.ref(a)
        net.fds[a.fileno()] = (ba, ab, weakref.ref(a))
        net.fds[b.fileno()] = (ab, ba, weakref.ref(b))
    return a, b


# ---- raw fds: eventfd, and the calls of ``racelab.server.rawio`` ---------------------------


def eventfd(initval: int, flags: int = getattr(os, "EFD_CLOEXEC", 0)) -> int:
    assert _real_eventfd is not None
    fd = _real_eventfd(initval, flags)
    ex, task = _controlled()
    if ex is not None and task is not None:
        net = _net(ex)
        p = net.pipe(("eventfd", fd, ex.step))
        p.receiver = fd
        net.fds[fd] = (p, p, None)
    return int(fd)


def fd_point(fd: int, receive: bool, what: str) -> None:
    """The scheduling point of a call on the raw ``fd`` that does not block (``MSG_DONTWAIT``,
    a non-blocking eventfd) by a controlled thread. No-op when not exploring."""
    ex, task = _controlled()
    if ex is None or task is None:
        return
    ends = _net(ex).ends(fd)
    _io_point(ex, task, what, None if ends is None else ends[0 if receive else 1])


def _fd_wait(fd: int, ex: control.Execution, task: control.Task, what: str) -> None:
    ends = _net(ex).ends(fd)
    pipe = None if ends is None else ends[0]
    if os.get_blocking(fd):
        _io_point(ex, task, what, pipe, (lambda: _readable(fd), None, True))
    else:
        _io_point(ex, task, what, pipe)


def eventfd_read(fd: int) -> int:
    assert _real_eventfd_read is not None
    ex, task = _controlled()
    if ex is not None and task is not None:
        _fd_wait(fd, ex, task, "eventfd_read")
    return int(_real_eventfd_read(fd))


def eventfd_write(fd: int, value: int) -> None:
    assert _real_eventfd_write is not None
    fd_point(fd, False, "eventfd_write")
    _real_eventfd_write(fd, value)


def os_close(fd: int) -> None:
    ex = control._active
    if ex is not None and _current is not None and _current.serial == ex.serial:
        _current.forget(fd)
    _real_os_close(fd)


def epoll_ctl_point(epfd: int, fd: int, mask: int, what: str) -> None:
    """The scheduling point of an ``epoll_ctl(MOD)`` of ``fd`` to ``mask`` made on the raw fds
    (``rawio.epoll_modify``), before the call. No-op when not exploring."""
    ex, task = _controlled()
    if ex is None or task is None:
        return
    ep = _net(ex).epolls.get(epfd)
    if ep is None:
        _io_point(ex, task, what, None)
    else:
        ep._ctl(ex, task, fd, what, None)
        ep._set(fd, mask)


# ---- epoll ------------------------------------------------------------------------------


class ControlledEpoll:
    """Stands in for ``select.epoll`` while exploring (see the module docstring)."""

    def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
        self._ep = _real_epoll(sizehint, flags)
        self._pending: list[tuple[int, int]] = []
        #: registered fd -> [its event mask, armed]: a one-shot fd is disarmed once reported
        self._fds: dict[int, list[Any]] = {}
        #: What ``close`` writes and every other call reads: closing it does not depend on what
        #: the fds in it do (the epoll's own key, which a send to an armed fd reads, would say so).
        self._life = _Pipe()
        ex, task = _controlled()
        if ex is not None and task is not None:
            _net(ex).epolls[self._ep.fileno()] = self
            if ex.watcher is not None:
                ex.guards[id(self)] = self._ready
                ex.keepalive.append(self)

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
        ex, task = _controlled()
        if ex is None or task is None:
            return self._take(maxevents) or self._ep.poll(timeout, maxevents)
        _touch(ex, self)
        if timeout == 0:
            ex.schedule(task, id(self), True)
        else:
            wait = None if timeout is None or timeout < 0 else timeout
            ex.wait_point(task, id(self), True, self._ready, "epoll.poll", wait, bool)
        if ex.verbose:
            ex.record_point(task, "epoll.poll", None, None)
        if ex.watcher is not None:
            ex.watch(self._life)
            ex.note_op(task, id(self._life), False)
        self._ready()
        taken = self._take(maxevents)
        reported = {fd for fd, _ in taken}
        watched = ex.watcher is not None
        net = _net(ex) if watched else None
        for fd in sorted(self._fds):
            mask, armed = self._fds[fd]
            # What a poll depends on: the data of every armed fd (whether it is readable now),
            # the arming of every fd; a reported one-shot or edge-triggered fd is disarmed.
            gone = fd in reported and mask & (select.EPOLLONESHOT | select.EPOLLET)
            if fd in reported and mask & select.EPOLLONESHOT:
                self._fds[fd][1] = False
            if net is None:
                continue
            ends = net.ends(fd)
            if ends is None or ends[0] is None:
                ex.note_op(task, ANY, True)
                continue
            rx = ends[0]
            ex.watch(rx)
            if armed:
                ex.note_op(task, (id(rx), "data"), False)
            ex.note_op(task, (id(rx), "arm"), bool(gone))
        return taken

    def _ready(self) -> bool:
        """Whether a ``poll`` would report something now; what the kernel reports is stashed."""
        if not self._ep.closed:
            fresh = self._ep.poll(0)
            if fresh:
                pending = self._pending
                at = {fd: k for k, (fd, _) in enumerate(pending)}
                for fd, ev in fresh:
                    k = at.get(fd)
                    if k is None:
                        at[fd] = len(pending)
                        pending.append((fd, ev))
                    else:
                        pending[k] = (fd, pending[k][1] | ev)
        return bool(self._pending)

    def _take(self, maxevents: int) -> list[tuple[int, int]]:
        n = len(self._pending) if maxevents is None or maxevents < 0 else maxevents
        taken, self._pending = self._pending[:n], self._pending[n:]
        return taken

    def _armed(self, fd: int) -> bool:
        entry = self._fds.get(fd)
        return entry is not None and bool(entry[1])

    def _set(self, fd: int, mask: int) -> None:
        """``fd`` registered or re-armed with ``mask``."""
        self._fds[fd] = [mask, True]

    def _forget(self, fd: int) -> None:
        if fd in self._fds:
            del self._fds[fd]
            self._pending = [e for e in self._pending if e[0] != fd]

    def _ctl(self, ex: control.Execution, task: control.Task, fd: int, what: str, into: bool | None) -> None:
        """The point of ``register`` (``into`` True), ``unregister`` (False) or ``modify`` (None)
        of ``fd``: it writes the fd's arming and reads the epoll."""
        ends = _net(ex).ends(fd)
        rx = None if ends is None else ends[0]
        _touch(ex, self, rx)
        ex.schedule(task, ANY if rx is None else (id(rx), "arm"), True)
        if ex.verbose:
            ex.record_point(task, what, None, None)
        if ex.watcher is not None:
            ex.note_op(task, id(self), False)
            ex.watch(self._life)
            ex.note_op(task, id(self._life), False)
        if rx is not None:
            if into is False:
                rx.epolls.pop(self, None)
            else:
                rx.epolls[self] = fd

    def register(self, fd: Any, eventmask: int = select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT) -> None:
        n = fd if isinstance(fd, int) else fd.fileno()
        ex, task = _controlled()
        if ex is not None and task is not None:
            self._ctl(ex, task, n, "epoll.register", True)
        self._ep.register(fd, eventmask)
        self._set(n, eventmask)

    def modify(self, fd: Any, eventmask: int) -> None:
        n = fd if isinstance(fd, int) else fd.fileno()
        ex, task = _controlled()
        if ex is not None and task is not None:
            self._ctl(ex, task, n, "epoll.modify", None)
        self._ep.modify(fd, eventmask)
        self._set(n, eventmask)

    def unregister(self, fd: Any) -> None:
        n = fd if isinstance(fd, int) else fd.fileno()
        ex, task = _controlled()
        if ex is not None and task is not None:
            self._ctl(ex, task, n, "epoll.unregister", False)
        self._ep.unregister(fd)
        self._forget(n)

    def close(self) -> None:
        ex, task = _controlled()
        if ex is not None and task is not None and not self._ep.closed:
            _touch(ex, self._life)
            ex.schedule(task, id(self._life), True)
            if ex.verbose:
                ex.record_point(task, "epoll.close", None, None)
            _net(ex).epolls.pop(self._ep.fileno(), None)
        self._pending.clear()
        self._ep.close()

    @property
    def closed(self) -> bool:
        return bool(self._ep.closed)

    def fileno(self) -> int:
        return int(self._ep.fileno())

    def __enter__(self) -> "ControlledEpoll":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The selector classes whose ``select`` waits under control, and their own ``select``.
_SELECTORS: dict[type, Callable[..., Any]] = {
    cls: vars(cls)["select"] for cls in (getattr(selectors, name, None) for name in (
        "SelectSelector", "_PollLikeSelector", "EpollSelector", "DevpollSelector", "KqueueSelector"))
    if cls is not None and "select" in vars(cls)}


def _controlled_select(real: Callable[..., Any]) -> Callable[..., Any]:
    def select(self: Any, timeout: float | None = None) -> list[Any]:
        if control.current_task() is None:
            return real(self, timeout)
        found: list[Any] = []

        def ready() -> bool:
            found[:] = real(self, 0)
            return bool(found)

        wait = None if timeout is None else max(timeout, 0.0)
        control.wait_until(ready, f"{type(self).__name__}.select", wait)
        return found

    select.__doc__ = real.__doc__
    return select


def install(p: Patcher) -> None:
    """Patch socket methods, the epoll factory, eventfds and the selectors until ``p.undo()``."""
    for name, fn in (("accept", accept), ("recv", recv), ("recv_into", recv_into), ("send", send),
                     ("sendall", sendall), ("connect", connect), ("listen", listen), ("shutdown", shutdown),
                     ("_real_close", _close)):
        p.set(socket.socket, name, fn)
    p.set(socket, "socketpair", socketpair)
    p.set(select, "epoll", ControlledEpoll)
    p.set(os, "close", os_close)
    if _real_eventfd is not None:
        p.set(os, "eventfd", eventfd)
        p.set(os, "eventfd_read", eventfd_read)
        p.set(os, "eventfd_write", eventfd_write)
    for cls, real in _SELECTORS.items():
        p.set(cls, "select", _controlled_select(real))
