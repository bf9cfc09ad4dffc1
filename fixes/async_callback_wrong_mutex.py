"""async_callback, WRONG fix: a lock around the callback's writes and the caller's reads.

The lock stops the caller from seeing one field written and the other not, but it says
nothing about *order*: the caller can still take the lock first and read the state
before the callback ever ran. Waiting needs a notification, not mutual exclusion.
"""

import threading

EXPECTED_FAILURE = "assertion"


class Download:
    def __init__(self) -> None:
        self.body: str | None = None
        self.size = 0


def fetch_async(url: str, on_done) -> threading.Thread:
    """Returns at once; ``on_done(body)`` runs later on a worker thread."""
    worker = threading.Thread(target=lambda: on_done(f"<page {url}>"))
    worker.start()
    return worker


def scenario_async_callback() -> int:
    state = Download()
    lock = threading.Lock()

    def on_done(body: str) -> None:
        with lock:
            state.body = body
            state.size = len(body)

    worker = fetch_async("/index", on_done)
    with lock:
        body, size = state.body, state.size
    worker.join()
    assert body is not None and size == len(body), f"read before the callback finished: {body!r}, {size}"
    return size
