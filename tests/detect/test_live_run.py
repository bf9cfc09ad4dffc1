"""``racelab run`` on real threaded programs (each run is a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"


def racelab_run(*args: str, tmp_json: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--json", str(tmp_json)] if tmp_json is not None else []
    command = [sys.executable, "-m", "racelab", "run", *extra, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_finds_the_race_of_a_real_program(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = racelab_run(str(PROGRAMS / "dict_race.py"), tmp_json=report)
    assert done.returncode == 0, done.stderr
    assert "n = " in done.stdout
    assert "WARNING: DATA RACE" in done.stderr and "box['n']" in done.stderr
    data = json.loads(report.read_text())
    (race,) = data["races"]
    line = next(n for n, t in enumerate((PROGRAMS / "dict_race.py").read_text().splitlines(), 1) if "# racy" in t)
    assert race["location"] == "box['n']" and race["schedule"] is None
    assert [a["line"] for a in race["accesses"]] == [line, line]
    assert {a["thread"] for a in race["accesses"]} == {"Thread-1 (work)", "Thread-2 (work)"}
    assert data["lock_order"] == [] and data["status"] == 0


def test_reports_nothing_on_the_fixed_twin(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = racelab_run("--fail-on-race", str(PROGRAMS / "dict_locked.py"), tmp_json=report)
    assert done.returncode == 0, done.stderr
    assert "n = 102 2" in done.stdout
    assert json.loads(report.read_text())["races"] == []
    assert "0 data race(s), 0 lock-order inversion(s)" in done.stderr


def test_exit_status_is_the_programs_or_66_with_fail_on_race() -> None:
    script = str(PROGRAMS / "dict_race.py")
    assert racelab_run(script, "3").returncode == 3
    assert racelab_run("--fail-on-race", script, "3").returncode == 66


def test_lock_order_inversion_in_a_real_program(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = racelab_run(str(PROGRAMS / "lock_order.py"), tmp_json=report)
    assert done.returncode == 0, done.stderr
    assert "LOCK-ORDER INVERSION (potential deadlock)" in done.stderr
    (cycle,) = json.loads(report.read_text())["lock_order"]
    assert [edge["thread"] for edge in cycle["edges"]] == ["Thread-1 (ab)", "Thread-2 (ba)"]
    assert all(site.endswith(("lock_order.py:5", "lock_order.py:6")) for site in cycle["cycle"])


def test_bad_input_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = racelab_run(str(tmp_path / "missing.py"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such file" in done.stderr
    not_python = tmp_path / "data.txt"
    not_python.write_text("x")
    done = racelab_run(str(not_python))
    assert done.returncode == 2 and "expects a Python file" in done.stderr


def test_the_programs_own_modules_are_instrumented_unless_opted_out(tmp_path: Path) -> None:
    script = str(PROGRAMS / "uses_module.py")
    plain_report, instrumented_report = tmp_path / "plain.json", tmp_path / "instrumented.json"
    assert racelab_run("--no-instrument", "shared_counter", script, tmp_json=plain_report).returncode == 0
    assert json.loads(plain_report.read_text())["races"] == []
    done = racelab_run(script, tmp_json=instrumented_report)
    assert done.returncode == 0, done.stderr
    (race,) = json.loads(instrumented_report.read_text())["races"]
    assert race["location"] == "Counter.value"
    assert all(access["file"].endswith("shared_counter.py") for access in race["accesses"])
