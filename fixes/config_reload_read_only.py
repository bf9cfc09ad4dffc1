"""config_reload, remedy read_only: publish a new immutable configuration with one reference write.

The reloader never changes a configuration in place: it builds a complete new mapping
and swaps the global to it. A reader takes the reference once and reads both keys from
that snapshot, which nobody ever writes.
"""

import threading
from types import MappingProxyType

OLD = ("db-old", 5432)
NEW = ("db-new", 6432)

config = MappingProxyType({})


def reset() -> None:
    global config
    config = MappingProxyType({"host": OLD[0], "port": OLD[1]})


def reload() -> None:
    global config
    config = MappingProxyType({"host": NEW[0], "port": NEW[1]})


def read(seen: list[tuple[object, object]]) -> None:
    global config
    snapshot = config  # one read of the reference
    seen.append((snapshot["host"], snapshot["port"]))


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
