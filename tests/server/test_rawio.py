"""``rawio``: the non-blocking calls the pool workers make without releasing the GIL behave like
the socket methods they replace."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from racelab.server import rawio

pytestmark = pytest.mark.skipif(not rawio.AVAILABLE, reason="libc calls through ctypes are not available")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_recv_returns_what_is_there_and_raises_blocking_io_error_when_nothing(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    buf = rawio.Buffer(16)
    with pytest.raises(BlockingIOError):
        buf.recv(b.fileno())
    a.sendall(b"hello")
    assert buf.recv(b.fileno()) == b"hello"


def test_recv_reads_past_a_full_buffer(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    data = bytes(range(256)) * 20  # 5,120 bytes through a 1,000-byte buffer
    a.sendall(data)
    assert rawio.Buffer(1000).recv(b.fileno()) == data


def test_recv_returns_empty_bytes_at_end_of_stream(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    a.shutdown(socket.SHUT_WR)
    assert rawio.Buffer().recv(b.fileno()) == b""


def test_send_returns_zero_when_the_buffer_is_full_and_raises_when_the_peer_is_gone(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    chunk = b"x" * 65536
    total = 0
    while (sent := rawio.send(a.fileno(), chunk)) > 0:
        total += sent
    assert sent == 0 and total > 0
    b.close()
    with pytest.raises(OSError):  # EPIPE or ECONNRESET, and no SIGPIPE
        rawio.send(a.fileno(), chunk)


def test_recv_on_a_closed_fd_raises_oserror() -> None:
    a, b = socket.socketpair()
    fd = b.fileno()
    a.close()
    b.close()
    with pytest.raises(OSError) as info:
        rawio.Buffer().recv(fd)
    assert not isinstance(info.value, BlockingIOError)


def test_epoll_modify_rearms_a_oneshot_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    with select.epoll() as ep:
        ep.register(b.fileno(), select.EPOLLIN | select.EPOLLONESHOT)
        a.sendall(b"1")
        assert ep.poll(1) == [(b.fileno(), select.EPOLLIN)]
        assert ep.poll(0) == []  # disarmed, though still readable
        rawio.epoll_modify(ep.fileno(), b.fileno(), rawio.epoll_event(select.EPOLLIN | select.EPOLLONESHOT, b.fileno()))
        assert ep.poll(1) == [(b.fileno(), select.EPOLLIN)]  # the event names the fd, as select.epoll does
        with pytest.raises(OSError):
            rawio.epoll_modify(ep.fileno(), 10_000, rawio.epoll_event(select.EPOLLIN, 10_000))  # not registered
