from racelab.server import http


def test_parses_pipelined_requests_and_keeps_the_partial_tail() -> None:
    buf = bytearray(b"GET /a HTTP/1.1\r\nX-Request-Id: 1\r\n\r\n"
                    b"POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                    b"GET /c HTTP/1.1\r\nHo")
    requests, error = http.parse_requests(buf)
    assert error is None
    assert [(r.method, r.path, r.body, r.request_id) for r in requests] == [
        (b"GET", b"/a", b"", b"1"), (b"POST", b"/b", b"abc", b"-")]
    assert bytes(buf) == b"GET /c HTTP/1.1\r\nHo"


def test_waits_for_the_whole_body() -> None:
    buf = bytearray(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    assert http.parse_requests(buf) == ([], None)
    buf += b"cde"
    requests, _ = http.parse_requests(buf)
    assert requests[0].body == b"abcde" and not buf


def test_keep_alive_rules() -> None:
    buf = bytearray(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")
    requests, _ = http.parse_requests(buf)
    assert [r.keep_alive for r in requests] == [False, False, True]


def test_malformed_input_is_a_400() -> None:
    for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
                b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
        _, error = http.parse_requests(bytearray(raw))
        assert error is not None and error.status is http.ParseStatus.BAD_REQUEST, raw


def test_oversized_headers_are_a_431_even_before_they_end() -> None:
    _, error = http.parse_requests(bytearray(b"GET / HTTP/1.1\r\nX: " + b"a" * 9000), max_header=8192)
    assert error is not None and error.status is http.ParseStatus.HEADERS_TOO_LARGE


def test_response_bytes() -> None:
    data = http.response(200, b"hi", b"7", close=True)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 2\r\n" in data
    assert b"X-Request-Id: 7\r\n" in data and b"Connection: close\r\n" in data and data.endswith(b"\r\n\r\nhi")
