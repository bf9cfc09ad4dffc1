"""Configuration read while another thread reloads it: a torn read across two keys.

The reloader updates a shared dict key by key; a reader that looks up both keys in
between sees the new host with the old port (or the reverse): a configuration that
never existed.
"""

import threading

EXPECTED_FAILURE = "assertion"

OLD = ("db-old", 5432)
NEW = ("db-new", 6432)

config: dict[str, object] = {}


def reload() -> None:
    config["host"] = NEW[0]
    config["port"] = NEW[1]


def read(seen: list[tuple[object, object]]) -> None:
    seen.append((config["host"], config["port"]))


def scenario_config_reload() -> tuple[object, object]:
    config.clear()
    config.update(host=OLD[0], port=OLD[1])
    seen: list[tuple[object, object]] = []
    threads = [threading.Thread(target=reload), threading.Thread(target=read, args=(seen,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] in (OLD, NEW), f"torn read: the reader saw {seen[0]}"
    return seen[0]
