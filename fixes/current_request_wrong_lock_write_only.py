"""current_request, WRONG fix: a lock around the write only.

Storing the global under a lock makes the store itself exclusive, but the value is read
later, outside the lock, after another handler may have stored its own request.
"""

import threading

EXPECTED_FAILURE = "assertion"

current_request = None
_lock = threading.Lock()


def render() -> str:
    global current_request  # only reads it; declared so that the read is a visible access
    return f"hello {current_request}"


def handle(user: str, responses: dict[str, str]) -> None:
    global current_request
    with _lock:
        current_request = user
    responses[user] = render()


def scenario_current_request() -> tuple[str, ...]:
    global _lock
    _lock = threading.Lock()  # fresh for every run
    responses: dict[str, str] = {}
    threads = [threading.Thread(target=handle, args=(u, responses)) for u in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for user, body in responses.items():
        assert body == f"hello {user}", f"{user} got the response {body!r}"
    return tuple(sorted(responses.values()))
