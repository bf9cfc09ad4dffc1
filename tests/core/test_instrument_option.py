"""``--instrument NAME``: a helper module is instrumented only when named."""

from __future__ import annotations

import sys

import racelab

from .helpers import EXHAUSTIVE, REPO, SCENARIOS, run_cli

SCENARIO = SCENARIOS / "instrumented" / "uses_helper.py"
HELPER = "racelab_tests_counter"


def _explore(*instrument: str) -> racelab.ScenarioResult:
    [result] = racelab.explore(str(SCENARIO), racelab.Settings(**EXHAUSTIVE, instrument=instrument))
    return result


def test_helper_race_found_only_when_instrumented() -> None:
    plain = _explore()
    assert plain.verdict == "pass" and plain.exhausted, "an uninstrumented helper has no scheduling points"
    named = _explore(HELPER)
    assert named.verdict == "fail" and named.failure is not None
    assert named.failure.kind == "assertion"
    assert any(step.location == "Counter.value" for step in named.failure.trace)
    assert any(step.file.endswith(f"{HELPER}.py") for step in named.failure.trace)
    assert HELPER not in sys.modules


def test_cli_instrument_option_and_its_replay_command() -> None:
    rel = str(SCENARIO.relative_to(REPO))
    proc = run_cli("explore", rel, "--strategy", "dfs", cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("explore", rel, "--strategy", "dfs", "--instrument", HELPER, cwd=REPO)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [line] = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("Replay: ")]
    assert line.endswith(f"--instrument {HELPER}"), line
