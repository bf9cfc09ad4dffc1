"""Check-then-act: lazy initialization of a shared singleton.

``if _instance is None: _instance = Settings()`` is a check and an act. Two threads can
both see None and both build the object: the callers then hold two different
"singletons" (and the expensive load ran twice).
"""

import threading

EXPECTED_FAILURE = "assertion"

_instance = None


class Settings:
    def __init__(self) -> None:
        self.data: dict[str, str] | None = None

    def load(self) -> None:
        self.data = {"mode": "fast"}


def get_settings() -> Settings:
    global _instance
    if _instance is None:
        settings = Settings()
        settings.load()
        _instance = settings
    return _instance


def scenario_lazy_init() -> str:
    global _instance
    _instance = None
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
