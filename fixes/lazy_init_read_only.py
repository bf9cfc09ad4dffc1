"""lazy_init, remedy read_only: build the singleton eagerly, before any thread starts, then only read it.

An object that is complete before the threads start and never written afterwards needs
no lock: thread start orders its construction before every read.
"""

import threading

_instance = None


class Settings:
    def __init__(self) -> None:
        self.data: dict[str, str] | None = None

    def load(self) -> None:
        self.data = {"mode": "fast"}


def reset() -> None:
    global _instance
    settings = Settings()
    settings.load()
    _instance = settings  # eager: built while the program is still single-threaded


def get_settings() -> Settings:
    global _instance
    return _instance


def scenario_lazy_init() -> str:
    reset()
    got: list[Settings] = []
    used: list[dict[str, str] | None] = []

    def caller() -> None:
        settings = get_settings()
        got.append(settings)
        used.append(settings.data)

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got[0] is got[1], "two different singletons were built"
    assert None not in used, "a caller used a half-built singleton"
    return got[0].data["mode"]
