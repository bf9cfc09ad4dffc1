"""stack_escape, WRONG fix: a lock around every use of the shared buffer.

Now the logger never copies a half-updated buffer, but mutual exclusion does not say
*who goes first*: the handler can take the lock, clear and refill the buffer, and only
then the logger copies it and records the next request. The buffer must be handed
over (a copy, or a signal that the logger is done), not merely locked.
"""

import threading

EXPECTED_FAILURE = "assertion"


def scenario_stack_escape() -> list[str]:
    logged: list[list[str]] = []
    lock = threading.Lock()

    def log_later(record: list[str]) -> None:
        with lock:
            logged.append(record[:])

    def handler() -> None:
        buf: list[str] = []
        buf.append("req-1")
        logger = threading.Thread(target=log_later, args=(buf,))
        logger.start()
        with lock:
            buf.clear()
            buf.append("req-2")
        logger.join()

    worker = threading.Thread(target=handler)
    worker.start()
    worker.join()
    assert logged == [["req-1"]], f"the logger recorded {logged}, expected [['req-1']]"
    return logged[0]
