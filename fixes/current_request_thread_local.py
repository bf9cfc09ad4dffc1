"""current_request, remedy thread_local: ``threading.local()`` gives every handler thread its own slot."""

import threading

_context = threading.local()


def render() -> str:
    return f"hello {_context.request}"


def handle(user: str, responses: dict[str, str]) -> None:
    _context.request = user
    responses[user] = render()


def scenario_current_request() -> tuple[str, ...]:
    global _context
    _context = threading.local()  # fresh for every run
    responses: dict[str, str] = {}
    threads = [threading.Thread(target=handle, args=(u, responses)) for u in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for user, body in responses.items():
        assert body == f"hello {user}", f"{user} got the response {body!r}"
    return tuple(sorted(responses.values()))
