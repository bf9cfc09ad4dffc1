"""lazy_init, WRONG fix: double-checked initialization that publishes before filling.

The lock makes sure only one object is built, but the object is stored in the global
before ``load()`` fills it. A second thread takes the unlocked fast path, sees a
non-None instance and uses it half-built.
"""

import threading

EXPECTED_FAILURE = "assertion"

_instance = None
_lock = threading.Lock()


class Settings:
    def __init__(self) -> None:
        self.data: dict[str, str] | None = None

    def load(self) -> None:
        self.data = {"mode": "fast"}


def reset() -> None:
    global _instance, _lock
    _instance = None
    _lock = threading.Lock()


def get_settings() -> Settings:
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = Settings()  # published...
                _instance.load()  # ...then filled
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
