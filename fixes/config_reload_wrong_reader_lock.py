"""config_reload, WRONG fix: only the reader takes the lock.

A lock excludes only threads that take it. The reader reads both keys under the lock,
but the reloader writes without it, so the reader can still run between the two
writes.
"""

import threading

EXPECTED_FAILURE = "assertion"

OLD = ("db-old", 5432)
NEW = ("db-new", 6432)

config: dict[str, object] = {}
_lock = threading.Lock()


def reset() -> None:
    global _lock
    _lock = threading.Lock()
    config.clear()
    config.update(host=OLD[0], port=OLD[1])


def reload() -> None:
    config["host"] = NEW[0]  # writes without the lock
    config["port"] = NEW[1]


def read(seen: list[tuple[object, object]]) -> None:
    with _lock:
        pair = (config["host"], config["port"])
    seen.append(pair)


def scenario_config_reload() -> tuple[object, object]:
    reset()
    seen: list[tuple[object, object]] = []
    threads = [threading.Thread(target=reload), threading.Thread(target=read, args=(seen,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] in (OLD, NEW), f"torn read: the reader saw {seen[0]}"
    return seen[0]
