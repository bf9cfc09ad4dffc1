"""Fix (event) for callback_chain: signal completion from the innermost callback, the one
that has the result. Right, but every new step of the chain moves that line again."""

import threading
from concurrent.futures import ThreadPoolExecutor


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
                    done.set()  # the notification comes with the result

                get_service_c(pool, b, on_c)

            get_service_b(pool, a, on_b)

        get_service_a(pool, on_a)
        done.wait()
        value = result.get("value")
    assert value == "abc", f"read the result before the last callback ran: {value!r}"
    return value
