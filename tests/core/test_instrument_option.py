"""The program's own modules are instrumented without asking; ``--no-instrument NAME`` opts
one out, and then what it does unseen makes the verdict ``inconclusive``, never a pass."""

from __future__ import annotations

import sys

import racelab

from .helpers import EXHAUSTIVE, REPO, SCENARIOS, run_cli

SCENARIO = SCENARIOS / "instrumented" / "uses_helper.py"
HELPER = "racelab_tests_counter"


def _explore(**settings: object) -> racelab.ScenarioResult:
    [result] = racelab.explore(str(SCENARIO), racelab.Settings(**{**EXHAUSTIVE, **settings}))  # type: ignore[arg-type]
    return result


def test_a_module_next_to_the_scenario_is_instrumented_without_asking() -> None:
    for settings in ({}, {"instrument": (HELPER,)}):
        found = _explore(**settings)
        assert found.verdict == "fail" and found.failure is not None
        assert found.failure.kind == "assertion"
        assert any(step.location == "Counter.value" for step in found.failure.trace)
        assert any(step.file.endswith(f"{HELPER}.py") for step in found.failure.trace)
        assert HELPER in found.instrumented
    assert HELPER not in sys.modules


def test_an_opted_out_module_makes_the_verdict_inconclusive() -> None:
    result = _explore(no_instrument=(HELPER,))
    assert result.verdict == "inconclusive" and not result.exhausted
    assert HELPER not in result.instrumented
    [line] = result.unseen
    assert HELPER in line and f"--instrument {HELPER}" in line


def test_cli_instrument_options_and_the_replay_command() -> None:
    rel = str(SCENARIO.relative_to(REPO))
    proc = run_cli("explore", rel, "--strategy", "dfs", "--no-instrument", HELPER, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("INCONCLUSIVE"), proc.stdout
    proc = run_cli("explore", rel, "--strategy", "dfs", "--instrument", HELPER, cwd=REPO)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [line] = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("Replay: ")]
    assert line.endswith(f"--instrument {HELPER}"), line


def test_an_instrument_name_that_matches_nothing_is_bad_input() -> None:
    proc = run_cli("explore", str(SCENARIO), "--instrument", "no_such_module_anywhere", cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "racelab: error: --instrument no_such_module_anywhere: no module or package of that name can be imported"]
