"""Fix (read_only) for dynamic_code: load every plugin before the threads start; afterwards
the registry is only read, and read-only sharing needs no lock.
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

    def _load(self, name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        exec(compile(PLUGIN_SOURCE, f"<plugin {name}>", "exec"), module.__dict__)
        module.init(self.init_log)
        return module

    def preload(self, names: list[str]) -> None:
        for name in names:
            self.loaded[name] = self._load(name)

    def get(self, name: str) -> types.ModuleType:
        return self.loaded[name]  # read-only once the threads run


def scenario_dynamic_code() -> int:
    registry = PluginRegistry()
    registry.preload(["gzip"])  # before any thread starts
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
