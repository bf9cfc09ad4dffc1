"""pytest plugin for racelab (registered through the ``pytest11`` entry point).

It costs nothing until a test asks for exploration: at start-up it only registers three
options and a marker; racelab itself is imported lazily, the first time a test decorated
with ``@racelab.explore`` / ``@racelab.replay`` runs (the test module has imported racelab
by then anyway). Nothing is patched outside those tests' calls.

What it adds to decorated tests:

* ``--racelab-seed``, ``--racelab-max-schedules``, ``--racelab-strategy`` override the
  decorators' settings for the run (a pinned ``@racelab.replay`` schedule is not affected);
* a failing test's report is racelab's report (trace, token, how to replay), not a
  traceback through the wrapper;
* a terminal summary line with the number of schedules explored in total;
* the ``racelab`` marker on every decorated test, so ``-m racelab`` selects them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generator

import pytest

STRATEGIES = ("portfolio", "random", "pct", "dfs", "dpor")


@dataclass
class _Totals:
    """Per-session counts (kept on the config, never in module globals)."""

    overrides: dict[str, Any]
    tests: int = 0
    failed: int = 0
    schedules: int = 0

    def record(self, result: Any) -> None:
        self.tests += 1
        self.schedules += result.schedules
        if result.failure is not None:
            self.failed += 1


_TOTALS = pytest.StashKey[_Totals]()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("racelab", "racelab: explore thread interleavings of @racelab.explore tests")
    group.addoption("--racelab-seed", type=int, default=None, metavar="N",
                    help="seed for the exploration strategies (overrides the decorators)")
    group.addoption("--racelab-max-schedules", type=_positive_int, default=None, metavar="N",
                    help="schedules to explore per test at most (overrides the decorators)")
    group.addoption("--racelab-strategy", choices=STRATEGIES, default=None,
                    help="exploration strategy (overrides the decorators)")
    group.addoption("--racelab-instrument", action="append", default=[], metavar="MODULE",
                    help="also instrument this installed module or package (repeatable; the project's own "
                         "modules are instrumented without asking)")
    group.addoption("--racelab-no-instrument", action="append", default=[], metavar="MODULE",
                    help="do not instrument this module or package of the project (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "racelab: a test run under racelab exploration (set by @racelab.explore)")
    overrides = {"seed": config.getoption("racelab_seed"), "max_schedules": config.getoption("racelab_max_schedules"),
                 "strategy": config.getoption("racelab_strategy"),
                 "instrument": tuple(config.getoption("racelab_instrument")) or None,
                 "no_instrument": tuple(config.getoption("racelab_no_instrument")) or None}
    config.stash[_TOTALS] = _Totals({k: v for k, v in overrides.items() if v is not None})


def _is_racelab_test(item: pytest.Item) -> bool:
    obj = getattr(item, "obj", None)
    return obj is not None and getattr(obj, "__racelab_test__", None) is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_racelab_test(item):
            item.add_marker("racelab")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if not _is_racelab_test(item):
        return (yield)
    from racelab import pytest_api

    totals = item.config.stash[_TOTALS]
    token = pytest_api.push_context(pytest_api.Context(dict(totals.overrides), totals.record))
    try:
        return (yield)
    finally:
        pytest_api.pop_context(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and call.when == "call":
        text = getattr(excinfo.value, "racelab_report", None)
        if isinstance(text, str):
            report.longrepr = text
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    totals = config.stash.get(_TOTALS, None)
    if totals is None or totals.tests == 0:
        return
    tests = f"{totals.tests} test" + ("" if totals.tests == 1 else "s")
    schedules = f"{totals.schedules} schedule" + ("" if totals.schedules == 1 else "s")
    terminalreporter.write_line(f"racelab: {schedules} explored in {tests} ({totals.failed} failed)")
