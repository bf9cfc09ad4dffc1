"""Replay round trip through the CLI and the API, and the documented ``--json`` schema."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

import racelab

from .helpers import REPO, run_cli

ITEM = "tests/core/scenarios/known_bugs.py::scenario_lost_update_item"
TRANSFER = "tests/core/scenarios/determinism.py::scenario_transfer_lost_update"
PASSING = "tests/core/scenarios/known_bugs.py::scenario_check_then_act_locked"
TRACE_KEYS = {"step": int, "thread": str, "file": str, "line": int, "op": str}


def _json(*args: str, expect: int) -> dict[str, Any]:
    proc = run_cli(*args, "--json", cwd=REPO)
    assert proc.returncode == expect, proc.stderr
    return json.loads(proc.stdout)  # exactly one JSON object on stdout, nothing else


def _check_trace_step(step: dict[str, Any]) -> None:
    assert set(step) == set(TRACE_KEYS) | {"location"}, step
    for key, kind in TRACE_KEYS.items():
        assert isinstance(step[key], kind), (key, step)
    assert step["location"] is None or isinstance(step["location"], str)


def _check_schema(payload: dict[str, Any]) -> None:
    assert payload["racelab"] == racelab.__version__
    assert isinstance(payload["scenarios"], list) and payload["scenarios"]
    for sc in payload["scenarios"]:
        assert {"id", "verdict", "exhausted", "schedules", "elapsed_s", "failure", "races"} <= set(sc), sc
        assert isinstance(sc["id"], str) and "::" in sc["id"]
        assert sc["verdict"] in ("pass", "fail")
        assert isinstance(sc["exhausted"], bool)
        assert isinstance(sc["schedules"], int) and not isinstance(sc["schedules"], bool) and sc["schedules"] >= 1
        assert isinstance(sc["elapsed_s"], float) and sc["elapsed_s"] >= 0
        assert isinstance(sc["races"], list)
        failure = sc["failure"]
        assert (failure is None) == (sc["verdict"] == "pass")
        if failure is None:
            continue
        assert set(failure) == {"kind", "message", "thread", "found_after", "schedule", "trace"}, failure
        assert failure["kind"] in ("assertion", "exception", "deadlock", "livelock", "race")
        assert isinstance(failure["message"], str) and "\n" not in failure["message"]
        assert isinstance(failure["thread"], str)
        assert isinstance(failure["found_after"], int) and 1 <= failure["found_after"] <= sc["schedules"]
        assert isinstance(failure["schedule"], str) and failure["schedule"].startswith("rl1")
        assert failure["trace"] and isinstance(failure["trace"], list)
        for i, step in enumerate(failure["trace"], 1):
            _check_trace_step(step)
            assert step["step"] == i


def test_explore_json_matches_the_documented_schema() -> None:
    payload = _json("explore", ITEM, PASSING, "--strategy", "dfs", "--max-schedules", "1000", expect=1)
    _check_schema(payload)
    verdicts = {sc["id"]: sc["verdict"] for sc in payload["scenarios"]}
    assert verdicts == {ITEM: "fail", PASSING: "pass"}
    passing = next(sc for sc in payload["scenarios"] if sc["id"] == PASSING)
    assert passing["exhausted"] is True


@pytest.mark.parametrize("scenario", [ITEM, TRANSFER])
def test_cli_token_replays_the_identical_trace(scenario: str) -> None:
    explored = _json("explore", scenario, "--strategy", "random", "--seed", "3", expect=1)
    failure = explored["scenarios"][0]["failure"]
    replayed = _json("replay", scenario, failure["schedule"], expect=1)
    _check_schema(replayed)
    again = replayed["scenarios"][0]["failure"]
    assert again["trace"] == failure["trace"]
    assert (again["kind"], again["message"], again["thread"]) == (failure["kind"], failure["message"],
                                                                   failure["thread"])
    api = racelab.replay(str(REPO / scenario), failure["schedule"])
    assert api.verdict == "fail"
    assert [s.to_json() for s in api.trace] == _absolute(failure["trace"])


def _absolute(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**s, "file": str((REPO / s["file"]).resolve()) if not s["file"].startswith("<") else s["file"]}
            for s in trace]


def test_printed_replay_command_reproduces_the_failure() -> None:
    proc = run_cli("explore", ITEM, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    [line] = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("Replay: ")]
    command = shlex.split(line.removeprefix("Replay: "))
    assert command[:3] == ["racelab", "replay", ITEM]
    replayed = run_cli(*command[1:], cwd=REPO)
    assert replayed.returncode == 1, replayed.stderr
    assert "REPRODUCED" in replayed.stdout
    explored_trace = proc.stdout.split("Interleaving:\n", 1)[1].split("\n\n", 1)[0]
    replayed_trace = replayed.stdout.split("\n\n", 2)[1]
    assert replayed_trace.strip() == explored_trace.strip()


def test_replaying_a_passing_schedule_exits_0() -> None:
    from racelab._core import schedule

    # the empty schedule takes the non-preemptive choice at every decision: the threads run one by one
    proc = run_cli("replay", ITEM, schedule.encode([]), cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "did not reproduce" in proc.stdout


INTERPRETERS = {
    "3.12": Path("/root/.pyenv/versions/3.12.1/bin/python3"),
    "3.13": Path("/root/.pyenv/versions/3.13.0/bin/python3"),
}
_DUMP = ("import json, sys, racelab; r = racelab.replay(sys.argv[1], sys.argv[2]); "
         "print(json.dumps([r.verdict, [s.to_json() for s in r.trace]]))")


@pytest.mark.parametrize("version", sorted(INTERPRETERS))
def test_token_is_stable_across_python_versions(version: str) -> None:
    python = INTERPRETERS[version]
    if not python.exists():
        pytest.skip(f"Python {version} is not installed")
    [result] = racelab.explore(str(REPO / TRANSFER), racelab.Settings(strategy="random", seed=5, detect=False))
    assert result.failure is not None
    proc = subprocess.run([str(python), "-c", _DUMP, str(REPO / TRANSFER), result.failure.schedule],
                          capture_output=True, text=True, timeout=60, cwd=REPO, env={"PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    verdict, trace = json.loads(proc.stdout)
    assert verdict == "fail"
    assert trace == [s.to_json() for s in result.failure.trace]
