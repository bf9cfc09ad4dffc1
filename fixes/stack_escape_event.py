"""stack_escape, remedy event: the logger signals when it is done with the buffer; reuse waits for it.

The buffer is still shared, but ownership is handed over and back explicitly:
``Event.set`` after the copy happens before the handler's ``wait`` returns.
"""

import threading


def scenario_stack_escape() -> list[str]:
    logged: list[list[str]] = []
    released = threading.Event()

    def log_later(record: list[str]) -> None:
        logged.append(record[:])
        released.set()  # the handler may have its buffer back

    def handler() -> None:
        buf: list[str] = []
        buf.append("req-1")
        logger = threading.Thread(target=log_later, args=(buf,))
        logger.start()
        released.wait()
        buf.clear()
        buf.append("req-2")
        logger.join()

    worker = threading.Thread(target=handler)
    worker.start()
    worker.join()
    assert logged == [["req-1"]], f"the logger recorded {logged}, expected [['req-1']]"
    return logged[0]
