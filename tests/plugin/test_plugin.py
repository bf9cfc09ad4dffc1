"""The pytest plugin through pytester: explored tests, options, replay decorator, no-op when unused."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

LOST_UPDATE = '''
import threading
from racelab import pytest_api as racelab

@racelab.explore(max_schedules=200, seed=1)
def test_lost_update():
    box = {"n": 0}

    def worker():
        box["n"] += 1

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2
'''

LOCKED = '''
import threading
import pytest
from racelab import pytest_api as racelab

@pytest.fixture
def rounds():
    return 2

@racelab.explore(max_schedules=50)
def test_locked(rounds):
    box = {"n": 0}
    lock = threading.Lock()

    def worker():
        for _ in range(rounds):
            with lock:
                box["n"] += 1

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2 * rounds

class TestInAClass:
    @racelab.explore(max_schedules=7, strategy="random")
    def test_method(self):
        done = []
        t = threading.Thread(target=lambda: done.append(1))
        t.start()
        t.join()
        assert done == [1]
'''


def _token(text: str) -> str:
    found = re.search(r'@racelab\.replay\("(rl1[A-Za-z0-9_-]+)"\)', text)
    assert found, text
    return found.group(1)


def test_failing_explored_test_reports_trace_and_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_lost=LOST_UPDATE)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "racelab: the test fails under an explored schedule" in out
    assert "Interleaving:" in out and "read box['n']" in out and "write box['n']" in out
    assert "the schedule below has 1 preemption" in out
    assert "Replay token: rl1" in out
    _token(out)
    assert "Traceback (most recent call last)" not in out
    result.stdout.fnmatch_lines(["racelab: * explored in 1 test (1 failed)"])


def test_replay_decorator_reproduces_the_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_lost=LOST_UPDATE)
    token = _token(pytester.runpytest().stdout.str())
    pinned = LOST_UPDATE.replace("@racelab.explore(max_schedules=200, seed=1)", f'@racelab.replay("{token}")')
    pytester.makepyfile(test_lost=pinned)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "racelab: the test fails under the pinned schedule" in out
    assert token in out
    result.stdout.fnmatch_lines(["racelab: 1 schedule explored in 1 test (1 failed)"])


def test_replay_decorator_passes_once_the_bug_is_fixed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_lost=LOST_UPDATE)
    token = _token(pytester.runpytest().stdout.str())
    fixed = LOST_UPDATE.replace("@racelab.explore(max_schedules=200, seed=1)", f'@racelab.replay("{token}")')
    fixed = fixed.replace('box["n"] += 1', 'with lock:\n            box["n"] += 1').replace(
        'box = {"n": 0}', 'box = {"n": 0}\n    lock = threading.Lock()')
    pytester.makepyfile(test_lost=fixed)
    pytester.runpytest().assert_outcomes(passed=1)


def test_passing_tests_with_fixtures_and_classes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_locked=LOCKED)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["racelab: * schedules explored in 2 tests (0 failed)"])


def test_options_override_the_decorators(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_locked=LOCKED)
    result = pytester.runpytest("--racelab-max-schedules=3", "--racelab-strategy=random", "--racelab-seed=5")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["racelab: 6 schedules explored in 2 tests (0 failed)"])


def test_bad_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_locked=LOCKED)
    result = pytester.runpytest("--racelab-strategy=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'nope'*"])


def test_marker_selects_racelab_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_locked=LOCKED + "\ndef test_plain():\n    pass\n")
    result = pytester.runpytest("-m", "racelab")
    result.assert_outcomes(passed=2, deselected=1)


PLAIN = '''
import sys
import threading

def test_threads():
    box = {"n": 0}
    t = threading.Thread(target=lambda: box.update(n=1))
    t.start()
    t.join()
    assert box["n"] == 1

def test_fails():
    assert 1 == 2
'''

REPORT_MODULES = '''
import sys

def pytest_sessionfinish(session):
    with open("modules.txt", "w") as f:
        f.write(" ".join(sorted(m for m in sys.modules if m == "racelab" or m.startswith("racelab."))))
'''


def test_no_racelab_tests_no_difference(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN)
    pytester.makeconftest(REPORT_MODULES)
    with_plugin = pytester.runpytest_subprocess()
    with_plugin.assert_outcomes(passed=1, failed=1)
    assert pytester.path.joinpath("modules.txt").read_text() == ""
    without = pytester.runpytest_subprocess("-p", "no:racelab")
    without.assert_outcomes(passed=1, failed=1)
    assert "racelab:" not in with_plugin.stdout.str()

    def body(out: str) -> list[str]:
        return [line for line in out.splitlines() if not re.search(r"\d+\.\d+s|rootdir|platform|plugins", line)]

    assert body(with_plugin.stdout.str()) == body(without.stdout.str())


def test_plugin_is_registered_by_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--racelab-seed*", "*--racelab-max-schedules*", "*--racelab-strategy*"])
