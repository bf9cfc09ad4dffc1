"""Dynamically loaded code is shared too: a plugin loaded on first use by two threads.

Code loaded at run time (a shared library, an imported plugin) lands in the process's
address space, visible to every thread, like the code, data and heap. A registry that
loads a plugin the first time it is asked for is a check-then-act: two threads that both
find it missing both load it, the plugin's initialisation runs twice, and the threads end
up holding two different copies of what should be one module.
"""

import threading
import types

EXPECTED_FAILURE = "assertion"

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

    def get(self, name: str) -> types.ModuleType:
        if name not in self.loaded:  # check ...
            module = self._load(name)
            self.loaded[name] = module  # ... then act
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
