"""The yardstick of ``racelab bench-server``: an asyncio ``Protocol`` server, stdlib only.

It answers every complete request head (``\\r\\n\\r\\n``) with the bytes the racelab server sends
for ``GET /plaintext`` (``racelab.server.app.PLAINTEXT``; a test keeps the two equal, and the
benchmark compares the bytes both servers send before it measures), one ``transport.write`` per
batch of pipelined requests: the usual minimal asyncio HTTP responder, on the default event loop.
The benchmark runs this file by path (``python asyncio_peer.py``), not as
``racelab.server.asyncio_peer``, so that the yardstick's memory figure does not include the
racelab package.
"""

from __future__ import annotations

import asyncio
import resource
import sys

BODY = b"Hello, World!"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
END = b"\r\n\r\n"


class HelloProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        n = buf.count(END)
        if n:
            assert self.transport is not None
            self.transport.write(RESPONSE * n)
            buf = buf[buf.rfind(END) + 4 :]
        self.buf = buf


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HelloProtocol, host, port, backlog=4096)
    bound = server.sockets[0].getsockname()
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    await server.serve_forever()


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(serve("127.0.0.1", port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
