"""Sockets and epoll under control: blocking I/O becomes waiting that does not hold the baton.

Why this shape
--------------
A controlled thread that blocks in ``recv`` inside the kernel would hold the baton forever: no
other task could run to send the bytes it waits for. So, for controlled threads only, each
blocking call first *waits* with ``control.wait_until(ready, what, timeout)`` (the scheduler runs
other tasks and polls ``ready`` at each decision), then performs the real call, which no longer
blocks. Readiness is checked with a zero-timeout ``select``; on loopback, bytes sent by one task
are in the peer's receive queue when ``send`` returns, so readiness is a pure function of what the
tasks have done and exploration stays deterministic.

* Blocking sockets (timeout ``None``): wait without limit. Sockets with a timeout: wait on the
  virtual clock and raise ``TimeoutError`` as the real call would. Non-blocking sockets
  (timeout 0): the real call, after a scheduling point, so I/O order is explored.
* ``recv``/``send`` then run with ``MSG_DONTWAIT``; ``sendall`` waits for room before each piece.
* ``select.epoll`` is a C type whose instances cannot be patched, so the *factory* is replaced
  by ``ControlledEpoll``, a Python wrapper. Its ``poll`` waits until the real epoll reports
  something; ``ready`` must call the real ``poll(0)`` to know, which consumes the events (an
  ``EPOLLONESHOT`` fd is disarmed, an edge is gone), so they are stashed and handed to the next
  ``poll``. ``modify`` (re-arming: an ownership hand-off) is a scheduling point.
* ``selectors`` (asyncio's event loop waits in ``DefaultSelector.select``): the ``select``
  method of the epoll, poll and select based selectors waits the same way, its timeout on the
  virtual clock (asyncio's ``loop.time()`` reads it too). Selectors register level-triggered
  interest only, so asking the real selector with a zero timeout consumes nothing. So
  ``asyncio.to_thread`` works: the loop waits without the baton, the executor's controlled
  thread runs, and ``call_soon_threadsafe`` wakes the loop through its self-pipe, a socket
  pair whose readiness is again a function of what the tasks did. (``subprocess`` waits for
  its child's pipes outside control: see ``racelab.sync.processes``.)

Threads that are not controlled keep the real behaviour everywhere.
"""

from __future__ import annotations

import select
import selectors
import socket
from typing import Any, Callable

from racelab._core import control
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
_DONTWAIT = socket.MSG_DONTWAIT


def _readable(sock: socket.socket) -> bool:
    try:
        return bool(_real_select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # closed: let the real call raise


def _writable(sock: socket.socket) -> bool:
    try:
        return bool(_real_select([], [sock], [], 0)[1])
    except (OSError, ValueError):
        return True


def _await(sock: socket.socket, ready: Any, what: str) -> bool:
    """Wait as the socket's mode says. False: it is non-blocking, just make the real call."""
    timeout = sock.gettimeout()
    if timeout == 0.0:
        control.schedule_point(what)
        return False
    if not control.wait_until(lambda: ready(sock), what, timeout):
        raise TimeoutError("timed out")
    return True


def accept(self: socket.socket) -> tuple[socket.socket, Any]:
    if control.current_task() is not None:
        _await(self, _readable, "socket.accept")
    return _real_accept(self)


def recv(self: socket.socket, bufsize: int, flags: int = 0) -> bytes:
    if control.current_task() is not None and _await(self, _readable, "socket.recv"):
        flags |= _DONTWAIT
    return _real_recv(self, bufsize, flags)


def recv_into(self: socket.socket, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
    if control.current_task() is not None and _await(self, _readable, "socket.recv_into"):
        flags |= _DONTWAIT
    return _real_recv_into(self, buffer, nbytes, flags)


def send(self: socket.socket, data: Any, flags: int = 0) -> int:
    if control.current_task() is not None and _await(self, _writable, "socket.send"):
        flags |= _DONTWAIT
    return _real_send(self, data, flags)


def sendall(self: socket.socket, data: Any, flags: int = 0) -> None:
    if control.current_task() is None or self.gettimeout() == 0.0:
        if control.current_task() is not None:
            control.schedule_point("socket.sendall")
        return _real_sendall(self, data, flags)
    view = memoryview(data).cast("B")
    while view:
        _await(self, _writable, "socket.sendall")
        try:
            sent = _real_send(self, view, flags | _DONTWAIT)
        except BlockingIOError:
            continue
        view = view[sent:]
    return None


def connect(self: socket.socket, address: Any) -> None:
    if control.current_task() is not None:
        control.schedule_point("socket.connect")
    return _real_connect(self, address)


class ControlledEpoll:
    """Stands in for ``select.epoll`` while exploring (see the module docstring)."""

    def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
        self._ep = _real_epoll(sizehint, flags)
        self._pending: list[tuple[int, int]] = []

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
        if control.current_task() is None:
            return self._take(maxevents) or self._ep.poll(timeout, maxevents)
        if not self._pending:
            wait = None if timeout is None or timeout < 0 else timeout
            control.wait_until(self._ready, "epoll.poll", wait)
        return self._take(maxevents)

    def _ready(self) -> bool:
        if not self._pending and not self._ep.closed:
            self._pending.extend(self._ep.poll(0))
        return bool(self._pending)

    def _take(self, maxevents: int) -> list[tuple[int, int]]:
        n = len(self._pending) if maxevents is None or maxevents < 0 else maxevents
        taken, self._pending = self._pending[:n], self._pending[n:]
        return taken

    def register(self, fd: Any, eventmask: int = select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT) -> None:
        self._ep.register(fd, eventmask)

    def modify(self, fd: Any, eventmask: int) -> None:
        control.schedule_point("epoll.modify")
        self._ep.modify(fd, eventmask)

    def unregister(self, fd: Any) -> None:
        self._ep.unregister(fd)

    def close(self) -> None:
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
    """Patch socket methods, the epoll factory and the selectors until ``p.undo()``."""
    for name, fn in (("accept", accept), ("recv", recv), ("recv_into", recv_into), ("send", send),
                     ("sendall", sendall), ("connect", connect)):
        p.set(socket.socket, name, fn)
    p.set(select, "epoll", ControlledEpoll)
    for cls, real in _SELECTORS.items():
        p.set(cls, "select", _controlled_select(real))
