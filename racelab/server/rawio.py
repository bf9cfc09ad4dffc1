"""Non-blocking system calls that keep the GIL: ``recv``, ``send`` and ``epoll_ctl`` on raw fds.

Every socket method of the standard library releases the GIL around its system call, even with
``MSG_DONTWAIT``, when the call cannot block. Releasing is what lets another thread run during a
blocking call; around a call that returns at once it only opens a door: a thread waiting for
the GIL (the event loop, woken by a new event) takes it, and the caller, back a microsecond
later, has to wait for its turn. With several threads in a process each such call becomes a
thread switch, and under load the switches cost more than the work (see ``reactor``: the pool
model went from about five switches per request to well under one by making its workers' calls
through this module and handing them batches).

The functions here call libc through ``ctypes.PyDLL``, which does not release the GIL. They are
only for calls that never block: ``recv``/``send`` with ``MSG_DONTWAIT`` and ``epoll_ctl``.
``AVAILABLE`` is False where libc or one of its symbols cannot be found; callers then use the
socket methods. Errors are raised as the socket methods raise them (``BlockingIOError`` for
``EAGAIN``, ``OSError`` with the errno otherwise).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import socket
import sys
from typing import Any

from racelab._core import control
from racelab.sync import net

_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)
_EPOLL_CTL_MOD = 3
BUFFER_SIZE = 16384


class _EpollData(ctypes.Union):
    _fields_ = [("ptr", ctypes.c_void_p), ("fd", ctypes.c_int), ("u32", ctypes.c_uint32), ("u64", ctypes.c_uint64)]


class _EpollEvent(ctypes.Structure):
    # The kernel's struct is packed on x86-64 (12 bytes), naturally aligned elsewhere.
    _pack_ = 1 if platform.machine().lower() in ("x86_64", "amd64") else 0
    _fields_ = [("events", ctypes.c_uint32), ("data", _EpollData)]


def _load() -> tuple[Any, Any, Any] | None:
    if not sys.platform.startswith("linux") or not _DONTWAIT:
        return None
    try:
        libc = ctypes.PyDLL(None, use_errno=True)
        recv, send, ctl = libc.recv, libc.send, libc.epoll_ctl
    except (OSError, AttributeError):
        return None
    recv.restype = send.restype = ctypes.c_ssize_t
    ctl.restype = ctypes.c_int
    return recv, send, ctl


_calls = _load()
AVAILABLE = _calls is not None
_get_errno = ctypes.get_errno


def _raise(what: str) -> None:
    code = _get_errno()
    if code in (errno.EAGAIN, errno.EWOULDBLOCK):
        raise BlockingIOError(code, os.strerror(code))
    raise OSError(code, f"{what}: {os.strerror(code)}")


class Buffer:
    """A reusable receive buffer; one per thread (it is not shared)."""

    __slots__ = ("raw", "view")

    def __init__(self, size: int = BUFFER_SIZE) -> None:
        self.raw = ctypes.create_string_buffer(size)
        self.view = memoryview(self.raw).cast("B")  # copying out through it beats ``string_at``

    def recv(self, fd: int) -> bytes:
        """What ``fd`` has now (b"" at end of stream); ``BlockingIOError`` when nothing."""
        assert _calls is not None
        if control._active is not None:  # exploring: a scheduling point (see ``racelab.sync.net``)
            net.fd_point(fd, True, "recv")
        c_recv, raw, view = _calls[0], self.raw, self.view
        size = len(raw)
        n = c_recv(fd, raw, size, _DONTWAIT)
        if n < 0:
            _raise("recv")
        data = view[:n].tobytes()
        if n < size:
            return data
        chunks = [data]
        while n == size:  # a full buffer: there may be more
            n = c_recv(fd, raw, size, _DONTWAIT)
            if n <= 0:
                break
            chunks.append(view[:n].tobytes())
        return b"".join(chunks)


def send(fd: int, data: bytes) -> int:
    """Bytes of ``data`` sent now (0 when the socket buffer is full); ``OSError`` when the peer
    is gone (``MSG_NOSIGNAL``: no ``SIGPIPE``)."""
    assert _calls is not None
    if control._active is not None:
        net.fd_point(fd, False, "send")
    n = _calls[1](fd, data, len(data), _DONTWAIT | _NOSIGNAL)
    if n >= 0:
        return int(n)
    code = _get_errno()
    if code in (errno.EAGAIN, errno.EWOULDBLOCK):
        return 0
    raise OSError(code, f"send: {os.strerror(code)}")


def epoll_event(flags: int, fd: int) -> bytes:
    """The kernel's ``struct epoll_event`` for ``fd`` (as ``select.epoll`` fills it: ``data.fd``)."""
    ev = _EpollEvent()
    ev.events = flags & 0xFFFFFFFF
    ev.data.fd = fd
    return bytes(ev)


def epoll_modify(epfd: int, fd: int, event: bytes) -> None:
    """``epoll_ctl(EPOLL_CTL_MOD)`` with an ``epoll_event`` from ``epoll_event``."""
    assert _calls is not None
    if control._active is not None:
        net.epoll_ctl_point(epfd, fd, _EpollEvent.from_buffer_copy(event).events, "epoll_ctl")
    if _calls[2](epfd, _EPOLL_CTL_MOD, fd, event) < 0:
        _raise("epoll_ctl")
