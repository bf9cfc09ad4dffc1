"""The stack that is not really private: a local buffer escapes to another thread.

Each thread has its own stack, so locals feel private, but a local that refers to a
heap object is only a reference. The handler hands its local buffer to a logger thread
and then reuses the same buffer for the next request: the logger may record the wrong
request, or none.
"""

import threading

EXPECTED_FAILURE = "assertion"


def scenario_stack_escape() -> list[str]:
    logged: list[list[str]] = []

    def log_later(record: list[str]) -> None:  # runs on the logger thread
        logged.append(record[:])

    def handler() -> None:
        buf: list[str] = []  # "private" to this frame...
        buf.append("req-1")
        logger = threading.Thread(target=log_later, args=(buf,))  # ...until it escapes
        logger.start()
        buf.clear()  # reuse the buffer for the next request
        buf.append("req-2")
        logger.join()

    worker = threading.Thread(target=handler)
    worker.start()
    worker.join()
    assert logged == [["req-1"]], f"the logger recorded {logged}, expected [['req-1']]"
    return logged[0]
