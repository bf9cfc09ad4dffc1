"""``racelab compare`` and ``racelab list`` end to end, through the installed command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RACELAB = str(Path(sys.executable).parent / "racelab")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RACELAB, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_compare_json_for_one_scenario() -> None:
    proc = _run("compare", "scenarios/worker_pool.py", "--json", "--cost-runs", "3")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["settings"]["strategy"] == "portfolio"
    [scenario] = data["scenarios"]
    assert scenario["scenario"] == "worker_pool"
    rows = {r["remedy"]: r for r in scenario["variants"]}
    assert scenario["variants"][0]["remedy"] == "broken"
    assert {"broken", "mutex", "atomic", "semaphore", "wrong_atomic_check"} <= set(rows)
    assert rows["broken"]["verdict"] == "fail" and rows["broken"]["failure"]["kind"] == "assertion"
    assert rows["broken"]["failure"]["schedule"]
    assert rows["wrong_atomic_check"]["verdict"] == "fail"
    for remedy in ("mutex", "atomic", "semaphore"):
        assert rows[remedy]["verdict"] == "pass" and rows[remedy]["exhausted"], rows[remedy]
        assert rows[remedy]["outcomes"] == {"1": rows[remedy]["schedules"]}
        assert rows[remedy]["cost"]["runs"] == 3 and rows[remedy]["cost"]["relative"] > 0
    assert rows["broken"]["cost"]["relative"] == 1.0
    assert scenario["all_as_expected"] is True


def test_compare_table_with_explicit_fixes() -> None:
    proc = _run(
        "compare", "scenarios/lost_update.py", "fixes/lost_update_mutex.py", "fixes/lost_update_wrong_lock_per_thread.py",
        "--cost-runs", "2", "--strict",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("lost_update: Lost update")
    header = lines[1].split()
    assert header[:4] == ["variant", "remedy", "expected", "verdict"]
    rows = {line.split()[0]: line for line in lines[3:] if line.strip() and not line.startswith(" ")}
    assert set(rows) == {"lost_update", "lost_update_mutex", "lost_update_wrong_lock_per_thread"}
    assert "FAIL" in rows["lost_update"] and "assertion @" in rows["lost_update"]
    assert " pass " in rows["lost_update_mutex"] and " yes " in rows["lost_update_mutex"]
    assert "FAIL" in rows["lost_update_wrong_lock_per_thread"]
    assert "UNEXPECTED" not in proc.stdout


def test_compare_reports_the_lock_order_cycle() -> None:
    proc = _run("compare", "scenarios/lock_order.py", "--json", "--cost-runs", "0")
    assert proc.returncode == 0, proc.stderr
    rows = {r["remedy"]: r for r in json.loads(proc.stdout)["scenarios"][0]["variants"]}
    assert rows["broken"]["failure"]["kind"] == "deadlock" and rows["broken"]["lock_cycles"] == 1
    assert rows["wrong_timeout"]["failure"]["kind"] == "assertion" and rows["wrong_timeout"]["lock_cycles"] == 1
    assert rows["lock_order"]["verdict"] == "pass" and rows["lock_order"]["lock_cycles"] == 0
    assert rows["mutex"]["cost"] is None


def test_compare_bad_input_is_one_line_and_status_2(tmp_path: Path) -> None:
    proc = _run("compare", str(tmp_path / "missing.py"))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing.py" in proc.stderr
    proc = _run("compare", "scenarios", "fixes/lost_update_mutex.py")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_list_prints_one_line_per_scenario() -> None:
    proc = _run("list", "scenarios")
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert "lost_update" in lines and "Lost update" in lines["lost_update"]
    assert "missed_wakeup" in lines and "lock_order" in lines
    data = json.loads(_run("list", "scenarios", "--json").stdout)
    assert any(e["id"] == "worker_pool" and "mutex" in e["fixes"] for e in data)
