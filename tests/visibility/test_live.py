"""Live mode (``racelab run --fail-on-race``) on real threads: a racy read through the
construct makes the run exit 66, the locked twin exits 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .constructs import BY_NAME, live_program, marked_lines

LIVE = ["in-dict", "len-dict", "for-list", "getattr"]  # membership, len, iteration, a builtin


def racelab_run(program: Path, report: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "racelab", "run", "--fail-on-race", "--json", str(report), str(program)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", LIVE)
def test_racy_program_exits_66(tmp_path: Path, name: str) -> None:
    program = tmp_path / f"live_{name.replace('-', '_')}.py"
    program.write_text(live_program(BY_NAME[name], locked=False))
    done = racelab_run(program, tmp_path / "report.json")
    command = f"racelab run --fail-on-race {program}"
    assert done.returncode == 66, f"{name}: exit status {done.returncode}, not 66 ({command})\n{done.stderr}"
    mine = marked_lines(program.read_text(), "construct")
    races = json.loads((tmp_path / "report.json").read_text())["races"]
    assert any({a["line"] for a in race["accesses"]} & mine for race in races), (
        f"{name}: no race at the construct (lines {sorted(mine)}): {races}")


@pytest.mark.parametrize("name", LIVE)
def test_locked_twin_exits_0(tmp_path: Path, name: str) -> None:
    program = tmp_path / f"live_{name.replace('-', '_')}_locked.py"
    program.write_text(live_program(BY_NAME[name], locked=True))
    done = racelab_run(program, tmp_path / "report.json")
    assert done.returncode == 0, (f"{name}: exit status {done.returncode} "
                                  f"(racelab run --fail-on-race {program})\n{done.stderr}")
