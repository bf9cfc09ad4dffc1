"""racelab: a thread-safety bug lab for Python.

Deterministic exploration of thread interleavings for unmodified ``threading`` code,
exact replay of any schedule from a token, race and deadlock detection.

The public names are loaded on first use, so that ``import racelab`` (and the server,
which lives in this package) does not pay for the whole engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Failure": "racelab._core.explorer",
    "ScenarioResult": "racelab._core.explorer",
    "ScenarioSpec": "racelab._core.explorer",
    "Settings": "racelab._core.explorer",
    "explore_function": "racelab._core.explorer",
    "load_scenarios": "racelab._core.explorer",
    "scenario": "racelab._core.explorer",
    "RacelabError": "racelab.errors",
    "UsageError": "racelab.errors",
    "instrumented": "racelab.instrumented",
    "explore": "racelab.pytest_api",
    "replay": "racelab.pytest_api",
    "check_linearizable": "racelab.lincheck",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:
    from racelab._core.explorer import Failure as Failure
    from racelab._core.explorer import ScenarioResult as ScenarioResult
    from racelab._core.explorer import ScenarioSpec as ScenarioSpec
    from racelab._core.explorer import Settings as Settings
    from racelab._core.explorer import explore_function as explore_function
    from racelab._core.explorer import load_scenarios as load_scenarios
    from racelab._core.explorer import scenario as scenario
    from racelab.errors import RacelabError as RacelabError
    from racelab.errors import UsageError as UsageError
    from racelab.instrumented import instrumented as instrumented
    from racelab.lincheck import check_linearizable as check_linearizable
    from racelab.pytest_api import explore as explore
    from racelab.pytest_api import replay as replay


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'racelab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
