"""A global that should have been thread-local: the "current request".

A handler stores the request it serves in a module global so that helpers deep in the
call stack can find it without passing it along. With two concurrent handlers the
global holds whichever request was stored last, and one handler answers the other's
request.
"""

import threading

EXPECTED_FAILURE = "assertion"

current_request = None


def render() -> str:
    global current_request  # only reads it; declared so that the read is a visible access
    return f"hello {current_request}"


def handle(user: str, responses: dict[str, str]) -> None:
    global current_request
    current_request = user
    responses[user] = render()


def scenario_current_request() -> tuple[str, ...]:
    responses: dict[str, str] = {}
    threads = [threading.Thread(target=handle, args=(u, responses)) for u in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for user, body in responses.items():
        assert body == f"hello {user}", f"{user} got the response {body!r}"
    return tuple(sorted(responses.values()))
