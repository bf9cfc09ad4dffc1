"""Callback hell: a chain of asynchronous callbacks signals completion one level too early.

``GetServiceA(cb -> GetServiceB(cb -> GetServiceC(cb ...)))``: each service answers on a
worker thread by calling the next callback. Nested this way, it is easy to signal "done"
from the wrong level: here the caller is woken as soon as service C has been *asked*,
not when it has *answered*, and reads a result that is not there yet.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

EXPECTED_FAILURE = "assertion"


def get_service_a(pool, callback) -> None:
    pool.submit(callback, "a")


def get_service_b(pool, a: str, callback) -> None:
    pool.submit(callback, a + "b")


def get_service_c(pool, b: str, callback) -> None:
    pool.submit(callback, b + "c")


def scenario_callback_chain() -> str:
    result: dict[str, str] = {}
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:

        def on_a(a: str) -> None:
            def on_b(b: str) -> None:
                def on_c(c: str) -> None:
                    result["value"] = c

                get_service_c(pool, b, on_c)
                done.set()  # one level too early: C has been asked, not answered

            get_service_b(pool, a, on_b)

        get_service_a(pool, on_a)
        done.wait()
        value = result.get("value")
    assert value == "abc", f"read the result before the last callback ran: {value!r}"
    return value
