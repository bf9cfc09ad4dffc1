"""A small incremental HTTP/1.1 request parser and response builder.

Why this shape: the reactor receives bytes in arbitrary pieces and pipelined clients send several
requests back to back, so parsing works on one growing ``bytearray`` per connection and consumes
every *complete* request at its front, leaving a partial one for the next read. The parser never
blocks and never raises for bad input: it returns a ``ParseError`` carrying the status to answer
(400 for malformed input, 431 when the header block outgrows its limit) and the connection is
closed after that answer.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

MAX_HEADER_BYTES = 8192
MAX_BODY_BYTES = 1 << 20

REASONS = {
    200: b"OK",
    400: b"Bad Request",
    404: b"Not Found",
    413: b"Content Too Large",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
    503: b"Service Unavailable",
}

_METHODS = frozenset((b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH"))


class Request(NamedTuple):
    """One parsed request (immutable record; a NamedTuple because it is built on the hot path).

    ``headers`` may be shared by every request with the same head (see ``parse_requests``):
    treat it as read-only."""

    method: bytes
    target: bytes
    version: bytes
    headers: dict[bytes, bytes]
    body: bytes
    keep_alive: bool
    path: bytes
    request_id: bytes

    def query(self) -> dict[str, str]:
        raw = self.target.partition(b"?")[2].decode("latin-1")
        pairs = (item.partition("=") for item in raw.split("&") if item)
        return {key: value for key, _, value in pairs}


class ParseStatus(enum.Enum):
    BAD_REQUEST = 400
    TOO_LARGE = 413
    HEADERS_TOO_LARGE = 431


class ParseError(NamedTuple):
    status: ParseStatus
    reason: str


HEAD_CACHE_SIZE = 512
"""Parsed heads kept for reuse. Clients repeat themselves (a browser, a load balancer's health
check, ``wrk``): the same head bytes parse to the same request, so a hit costs one copy and one
dict lookup instead of a split per line. Only heads without a body are kept."""

_Head = tuple[bytes, bytes, bytes, dict[bytes, bytes], int, bool, bytes, bytes]
_heads: dict[bytes, _Head] = {}


def parse_requests(
    buf: bytearray, max_header: int = MAX_HEADER_BYTES, max_body: int = MAX_BODY_BYTES
) -> tuple[list[Request], ParseError | None]:
    """Consume every complete request at the front of ``buf``; stop at the first error."""
    out: list[Request] = []
    start = 0
    error: ParseError | None = None
    while True:
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buf) - start > max_header:
                error = ParseError(ParseStatus.HEADERS_TOO_LARGE, "header block over the limit")
            break
        if end - start > max_header:
            error = ParseError(ParseStatus.HEADERS_TOO_LARGE, "header block over the limit")
            break
        raw = bytes(buf[start:end])
        head = _heads.get(raw)
        if head is None:
            parsed = _parse_whole_head(raw, max_body)
            if isinstance(parsed, ParseError):
                error = parsed
                break
            head = parsed
        method, target, version, headers, length, keep_alive, path, rid = head
        body_start = end + 4
        if length:
            if len(buf) < body_start + length:
                break
            body = bytes(buf[body_start : body_start + length])
        else:
            body = b""
        out.append(Request(method, target, version, headers, body, keep_alive, path, rid))
        start = body_start + length
    if start:
        del buf[:start]
    return out, error


def _parse_whole_head(raw: bytes, max_body: int) -> _Head | ParseError:
    parsed = _parse_head(raw)
    if isinstance(parsed, ParseError):
        return parsed
    method, target, version, headers = parsed
    length = _content_length(headers)
    if isinstance(length, ParseError):
        return length
    if length > max_body:
        return ParseError(ParseStatus.TOO_LARGE, "body over the limit")
    head = (method, target, version, headers, length, _keep_alive(version, headers), target.partition(b"?")[0],
            headers.get(b"x-request-id", b"-"))
    if not length:
        if len(_heads) >= HEAD_CACHE_SIZE:
            _heads.clear()
        _heads.setdefault(raw, head)  # one atomic call: workers may parse the same head at once
    return head


def _parse_head(head: bytes) -> tuple[bytes, bytes, bytes, dict[bytes, bytes]] | ParseError:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] not in _METHODS or not parts[1].startswith(b"/"):
        return ParseError(ParseStatus.BAD_REQUEST, "malformed request line")
    if parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        return ParseError(ParseStatus.BAD_REQUEST, "unsupported HTTP version")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or b" " in name:
            return ParseError(ParseStatus.BAD_REQUEST, "malformed header line")
        headers[name.lower()] = value.strip()
    return parts[0], parts[1], parts[2], headers


def _content_length(headers: dict[bytes, bytes]) -> int | ParseError:
    if b"transfer-encoding" in headers:
        return ParseError(ParseStatus.BAD_REQUEST, "Transfer-Encoding is not supported")
    raw = headers.get(b"content-length")
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 12:
        return ParseError(ParseStatus.BAD_REQUEST, "bad Content-Length")
    return int(raw)


def _keep_alive(version: bytes, headers: dict[bytes, bytes]) -> bool:
    conn = headers.get(b"connection", b"").lower()
    if version == b"HTTP/1.1":
        return conn != b"close"
    return conn == b"keep-alive"


def response(
    status: int,
    body: bytes,
    request_id: bytes = b"-",
    close: bool = False,
    extra: bytes = b"",
    content_type: bytes = b"text/plain",
) -> bytes:
    """A complete HTTP/1.1 response; ``extra`` holds already formatted ``Name: value\\r\\n`` lines."""
    return b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nX-Request-Id: %s\r\n%s%s\r\n%s" % (
        status,
        REASONS.get(status, b"Unknown"),
        content_type,
        len(body),
        request_id,
        extra,
        b"Connection: close\r\n" if close else b"",
        body,
    )


def error_response(error: ParseError) -> bytes:
    body = error.reason.encode() + b"\n"
    return response(error.status.value, body, close=True)


SERVICE_UNAVAILABLE = response(503, b"worker pool is full\n", close=True)
