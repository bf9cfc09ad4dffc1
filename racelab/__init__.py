"""racelab: a thread-safety bug lab for Python.

Deterministic exploration of thread interleavings for unmodified ``threading`` code,
exact replay of any schedule from a token, race and deadlock detection.
"""

from racelab._core.explorer import Failure as Failure
from racelab._core.explorer import ScenarioResult as ScenarioResult
from racelab._core.explorer import ScenarioSpec as ScenarioSpec
from racelab._core.explorer import Settings as Settings
from racelab._core.explorer import explore as explore_path
from racelab._core.explorer import explore_function as explore_function
from racelab._core.explorer import load_scenarios as load_scenarios
from racelab._core.explorer import replay as replay
from racelab._core.explorer import scenario as scenario
from racelab.errors import RacelabError as RacelabError
from racelab.errors import UsageError as UsageError

__version__ = "0.1.0"

explore = explore_path

__all__ = ["Failure", "ScenarioResult", "ScenarioSpec", "Settings", "explore", "explore_function",
           "load_scenarios", "replay", "scenario", "RacelabError", "UsageError", "__version__"]
