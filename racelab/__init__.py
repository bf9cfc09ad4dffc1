"""racelab: a thread-safety bug lab for Python.

Deterministic exploration of thread interleavings for unmodified ``threading`` code,
exact replay of any schedule from a token, race and deadlock detection.
"""

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
from racelab.pytest_api import explore as explore
from racelab.pytest_api import replay as replay

__version__ = "0.1.0"

__all__ = ["Failure", "ScenarioResult", "ScenarioSpec", "Settings", "explore", "explore_function",
           "instrumented", "load_scenarios", "replay", "scenario", "RacelabError", "UsageError",
           "check_linearizable", "__version__"]


def __getattr__(name: str) -> object:
    # check_linearizable needs Hypothesis: import it only when asked for
    if name == "check_linearizable":
        from racelab.lincheck import check_linearizable

        return check_linearizable
    raise AttributeError(f"module 'racelab' has no attribute {name!r}")
