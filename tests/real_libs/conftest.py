"""The runs of the differential test, started ahead of the tests that read them.

Each case of ``test_differential`` reads one run of a library's suite (and the plain run it
is compared with). The runs are subprocesses that take seconds to minutes, so the
``suite_runs`` fixture starts them all, in the order the selected tests will ask for them,
``$RACELAB_DIFFTEST_JOBS`` at a time (default 2: the machine has two cores), and each test
waits only for its own. Only the cases that survive ``-k``/``-m``/deselection are run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from . import fetch, harness
from .libraries import BY_NAME, Library

_CASES = pytest.StashKey[list[tuple[str, str]]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    cases = []
    for item in session.items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("difftest_case")
        if case:
            library, mode = case
            if mode != "plain":
                cases.append((library, "plain"))
            cases.append((library, mode))
    session.config.stash[_CASES] = list(dict.fromkeys(cases))


class SuiteRuns:
    """The runs of this session, by (library, mode); each started once, in the background."""

    def __init__(self, root: Path, order: list[tuple[str, str]], jobs: int) -> None:
        self.root = root
        self.order = order
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="difftest")
        self.runs: dict[tuple[str, str], Future[harness.SuiteRun]] = {}
        self.lock = threading.Lock()
        self.started = False

    def get(self, library: Library, mode: str) -> harness.SuiteRun:
        with self.lock:
            if not self.started:
                self.started = True
                for name, each in self.order:
                    self._submit(BY_NAME[name], each)
            future = self._submit(library, mode)
        try:
            return future.result()
        except fetch.Unreachable as exc:
            pytest.skip(f"PyPI is unreachable, so {library.sdist.filename} cannot be fetched ({exc}); "
                        f"set RACELAB_TEST_CACHE to a directory that holds it to run offline")

    def _submit(self, library: Library, mode: str) -> Future[harness.SuiteRun]:
        key = (library.name, mode)
        if key not in self.runs:
            workdir = self.root / library.name / mode
            self.runs[key] = self.pool.submit(harness.run_suite, library, mode, workdir)
        return self.runs[key]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        harness.kill_running()


@pytest.fixture(scope="session")
def suite_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteRuns]:
    jobs = int(os.environ.get("RACELAB_DIFFTEST_JOBS", "2"))
    runs = SuiteRuns(tmp_path_factory.mktemp("difftest"), request.config.stash.get(_CASES, []), max(1, jobs))
    try:
        yield runs
    finally:
        runs.close()
