"""Ctrl-C stops ``racelab explore`` with the results so far: printed, ``"interrupted": true`` in
JSON, exit status 130."""

from __future__ import annotations

import json

from .helpers import interrupt, racelab


def test_ctrl_c_stops_with_the_results_so_far() -> None:
    proc, out, err, took = interrupt("explore", "long.py", "--max-schedules", "100000000", "--time-limit", "600")
    assert proc.returncode == 130, out + err
    assert out.startswith("PASS  long.py::scenario_many_schedules  ("), out
    assert ", interrupted, " in out.splitlines()[0]
    assert "scenario_second_one" not in out  # the rest is not explored
    assert "1 scenario: 0 failed, 1 passed" in out and "interrupted: these are the results so far" in out, out
    assert took < 10


def test_ctrl_c_with_json() -> None:
    proc, out, err, took = interrupt("explore", "long.py::scenario_many_schedules", "--max-schedules", "100000000",
                                      "--time-limit", "600", "--json")
    assert proc.returncode == 130, out + err
    payload = json.loads(out)
    assert payload["interrupted"] is True
    [result] = payload["scenarios"]
    assert result["schedules"] > 0 and result["verdict"] == "pass" and not result["exhausted"]


def test_ctrl_c_while_the_main_thread_is_stuck() -> None:
    proc, out, err, took = interrupt("explore", "long.py::scenario_stuck_in_a_real_call", "--stall-timeout", "60",
                                      "--time-limit", "600")
    assert proc.returncode == 130, out + err
    assert "interrupted" in out
    assert took < 10


def test_json_says_not_interrupted_otherwise() -> None:
    run = racelab("explore", "long.py::scenario_second_one", "--json")
    assert run.returncode == 0 and run.json()["interrupted"] is False


def test_ctrl_c_stops_compare_with_the_table_so_far() -> None:
    proc, out, err, took = interrupt("compare", "long.py", "--max-schedules", "100000000", "--time-limit", "600",
                                     "--cost-runs", "0")
    assert proc.returncode == 130, out + err
    rows = [line.split() for line in out.splitlines() if line.startswith("long ")]
    assert rows and rows[0][:2] == ["long", "broken"], out  # the one explored when Ctrl-C came
    assert out.rstrip().endswith("interrupted: the variants explored so far"), out
    assert "results so far" in err and took < 10


def test_ctrl_c_stops_compare_with_json() -> None:
    proc, out, err, took = interrupt("compare", "long.py", "--max-schedules", "100000000", "--time-limit", "600",
                                     "--cost-runs", "0", "--json")
    assert proc.returncode == 130, out + err
    payload = json.loads(out)
    assert payload["interrupted"] is True
    [comparison] = payload["scenarios"]
    assert comparison["interrupted"] is True and comparison["variants"][0]["schedules"] > 0
