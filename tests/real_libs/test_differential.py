"""The differential test: real libraries' own test suites pass the same tests instrumented.

For each library of ``libraries.py`` (pinned sdists from PyPI, fetched once and cached) the
suite runs plain, under ``racelab run`` (live detector) and under ``racelab explore`` (the
suite as one execution), each in a process of its own with a wall-clock limit. The plain run
must pass; each instrumented run must pass exactly the tests the plain run passes. When it
does not, the failure message lists the differing tests grouped by where they failed, with
the end of a failure report for each group.

To look at one library in one mode: ``python -m tests.real_libs LIBRARY [live|explore]``.
The tests skip (saying so) only when PyPI cannot be reached and the cache lacks an sdist.
"""

from __future__ import annotations

import pytest

from . import harness
from .conftest import SuiteRuns
from .libraries import LIBRARIES, Library

#: The fewest tests a plain run must pass: a suite that silently collected nothing proves nothing.
MIN_PASSED = 20


def _case(library: Library, mode: str) -> object:
    limit = harness.timeout_for(library, mode) + (harness.timeout_for(library, "plain") if mode != "plain" else 0) + 120
    return pytest.param((library.name, mode), id=f"{library.name}-{mode}", marks=pytest.mark.timeout(limit))


CASES = [_case(library, mode) for library in LIBRARIES for mode in harness.MODES]
_LIBRARIES = {library.name: library for library in LIBRARIES}


@pytest.mark.parametrize("difftest_case", CASES)
def test_same_tests_pass(difftest_case: tuple[str, str], suite_runs: SuiteRuns) -> None:
    name, mode = difftest_case
    library = _LIBRARIES[name]
    plain = suite_runs.get(library, "plain")
    failed = sorted(test for test, outcome in plain.tests.items() if outcome.outcome in ("failed", "error"))
    if plain.problem is not None or failed or len(plain.passed) < MIN_PASSED:
        pytest.fail(f"the plain run of the pinned suite does not pass: {plain.summary()}\n"
                    f"{plain.problem or ''}\n{harness.details(plain, failed[:10])}", pytrace=False)
    if mode == "plain":
        return
    diff = harness.compare(plain, suite_runs.get(library, mode))
    if diff.other.problem is not None or not diff.same:
        pytest.fail(harness.render(diff), pytrace=False)
