"""stack_escape, remedy read_only: hand the other thread an immutable snapshot, not the live buffer.

``tuple(buf)`` is a new object nobody ever writes; the handler may reuse its own
buffer at once.
"""

import threading


def scenario_stack_escape() -> list[str]:
    logged: list[list[str]] = []

    def log_later(record: tuple[str, ...]) -> None:
        logged.append(list(record))

    def handler() -> None:
        buf: list[str] = []
        buf.append("req-1")
        logger = threading.Thread(target=log_later, args=(tuple(buf),))  # a frozen copy escapes
        logger.start()
        buf.clear()
        buf.append("req-2")
        logger.join()

    worker = threading.Thread(target=handler)
    worker.start()
    worker.join()
    assert logged == [["req-1"]], f"the logger recorded {logged}, expected [['req-1']]"
    return logged[0]
