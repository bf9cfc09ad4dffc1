"""async_callback, remedy future: the callback completes a ``concurrent.futures.Future``; the caller asks it.

No shared mutable state at all: the result travels inside the future, and
``Future.result()`` blocks until ``set_result`` happened.
"""

import threading
from concurrent.futures import Future


def fetch_async(url: str, on_done) -> threading.Thread:
    """Returns at once; ``on_done(body)`` runs later on a worker thread."""
    worker = threading.Thread(target=lambda: on_done(f"<page {url}>"))
    worker.start()
    return worker


def scenario_async_callback() -> int:
    future: Future[str] = Future()
    worker = fetch_async("/index", future.set_result)
    body = future.result()
    size = len(body)
    worker.join()
    assert body is not None and size == len(body), f"read before the callback finished: {body!r}, {size}"
    return size
