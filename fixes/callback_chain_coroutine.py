"""Fix (coroutine) for callback_chain: write the chain as a coroutine.

``a = yield service_a(); b = yield service_b(a); ...`` reads like the synchronous
``a = GetServiceA(); b = GetServiceB(a)`` but still runs each service asynchronously: a
tiny driver resumes the generator from each future's done-callback. The coroutine's
frame lives on the heap (the generator object), not on any thread's stack, so it can be
resumed by whichever worker finishes; resumptions never overlap because each one starts
only after the previous step's future is done.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor


def service_a() -> str:
    return "a"


def service_b(a: str) -> str:
    return a + "b"


def service_c(b: str) -> str:
    return b + "c"


def run_coroutine(coroutine, finished: Future) -> None:
    def step(value=None) -> None:
        try:
            pending = coroutine.send(value)
        except StopIteration as stop:
            finished.set_result(stop.value)
            return
        pending.add_done_callback(lambda f: step(f.result()))

    step()


def scenario_callback_chain() -> str:
    with ThreadPoolExecutor(max_workers=2) as pool:

        def flow():
            a = yield pool.submit(service_a)
            b = yield pool.submit(service_b, a)
            c = yield pool.submit(service_c, b)
            return c

        finished: Future = Future()
        run_coroutine(flow(), finished)
        value = finished.result()
    assert value == "abc", f"read the result before the last callback ran: {value!r}"
    return value
