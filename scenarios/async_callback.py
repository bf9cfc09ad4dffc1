"""An asynchronous callback runs on another thread and mutates the caller's state.

With an asynchronous (deferred) callback the call returns at once and the callback
runs later, on another thread. The caller knows *what* to do with the result but not
*when* it is there: reading the state the callback fills, right after the call, reads
it before (or while) the callback writes it.
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

    def on_done(body: str) -> None:  # mutates the caller's state from the worker thread
        state.body = body
        state.size = len(body)

    worker = fetch_async("/index", on_done)
    body, size = state.body, state.size  # the caller assumes the callback already ran
    worker.join()
    assert body is not None and size == len(body), f"read before the callback finished: {body!r}, {size}"
    return size
