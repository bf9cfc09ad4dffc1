"""async_callback, remedy event: the callback fills the state, then sets an Event; the caller waits for it.

The callback knows *when*, the caller knows *what*: the Event carries the "when" back.
``Event.set`` happens before ``Event.wait`` returns, so the caller sees both fields.
"""

import threading


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
    done = threading.Event()

    def on_done(body: str) -> None:
        state.body = body
        state.size = len(body)
        done.set()

    worker = fetch_async("/index", on_done)
    done.wait()
    body, size = state.body, state.size
    worker.join()
    assert body is not None and size == len(body), f"read before the callback finished: {body!r}, {size}"
    return size
