"""Fix (future) for callback_chain: no callbacks at all. Each step waits for its future:
synchronous code, the services still run on the pool. Simple, at the price of a blocked
caller (see the coroutine fix for the same readability without blocking)."""

from concurrent.futures import ThreadPoolExecutor


def service_a() -> str:
    return "a"


def service_b(a: str) -> str:
    return a + "b"


def service_c(b: str) -> str:
    return b + "c"


def scenario_callback_chain() -> str:
    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(service_a).result()
        b = pool.submit(service_b, a).result()
        value = pool.submit(service_c, b).result()
    assert value == "abc", f"read the result before the last callback ran: {value!r}"
    return value
