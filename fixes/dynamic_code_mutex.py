"""Fix (mutex) for dynamic_code: the registry loads a plugin under a lock, so the check
and the load are one step for every other thread: the plugin is loaded once.
"""

import threading
import types

PLUGIN_SOURCE = '''
handlers = []


def init(registry_log):
    registry_log.append("gzip")
    handlers.append("gzip")
'''


class PluginRegistry:
    def __init__(self) -> None:
        self.loaded: dict[str, types.ModuleType] = {}
        self.init_log: list[str] = []
        self.lock = threading.Lock()

    def _load(self, name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        exec(compile(PLUGIN_SOURCE, f"<plugin {name}>", "exec"), module.__dict__)
        module.init(self.init_log)
        return module

    def get(self, name: str) -> types.ModuleType:
        with self.lock:  # the check and the act are one step for other threads
            if name not in self.loaded:
                self.loaded[name] = self._load(name)
            return self.loaded[name]


def scenario_dynamic_code() -> int:
    registry = PluginRegistry()
    seen: list[types.ModuleType] = []

    def handle_request() -> None:
        seen.append(registry.get("gzip"))

    threads = [threading.Thread(target=handle_request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(registry.init_log) == 1, f"the plugin was initialised {len(registry.init_log)} times"
    assert seen[0] is seen[1], "two threads hold two copies of one plugin"
    return len(registry.init_log)
