"""config_reload, remedy atomic: the whole configuration is one immutable value behind an ``AtomicRef``."""

import threading
from types import MappingProxyType

from racelab.atomic import AtomicRef

OLD = ("db-old", 5432)
NEW = ("db-new", 6432)

config: AtomicRef = AtomicRef(MappingProxyType({}))


def reset() -> None:
    global config
    config = AtomicRef(MappingProxyType({"host": OLD[0], "port": OLD[1]}))


def reload() -> None:
    config.set(MappingProxyType({"host": NEW[0], "port": NEW[1]}))


def read(seen: list[tuple[object, object]]) -> None:
    snapshot = config.get()
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
