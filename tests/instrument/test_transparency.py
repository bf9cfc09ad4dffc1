"""Instrumented code behaves exactly like the original: ``programs/transparency.py`` records
what Python did (name mangling, descriptors and attribute hooks that run once, module and
metaclass ``__getattribute__``, slots, metaclasses, ``super()``, dataclasses, ``match``, walrus,
``nonlocal``, late globals, ``locals()``, tracebacks, ``inspect.getsource``, frame depths,
pickling, weak references that die) and the record is the same plainly, under ``racelab run``
and under ``racelab explore``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import racelab

PROGRAM = Path(__file__).parent / "programs" / "transparency.py"


def differences(plain: dict[str, Any], other: dict[str, Any]) -> str:
    lines = []
    for check in sorted(set(plain) | set(other)):
        if plain.get(check) != other.get(check):
            lines.append(f"{check}:\n    plain:        {plain.get(check)!r}\n    instrumented: {other.get(check)!r}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plain") / "plain.json"
    subprocess.run([sys.executable, str(PROGRAM), str(out)], check=True, timeout=60, cwd=out.parent)
    record = json.loads(out.read_text())
    assert not any(isinstance(v, str) and v.startswith("raised") for v in record.values()), record
    return record


def test_live_run_behaves_like_the_plain_program(plain: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "live.json"
    done = subprocess.run([sys.executable, "-m", "racelab", "run", str(PROGRAM), str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 data race(s)" in done.stderr, done.stderr
    live = json.loads(out.read_text())
    assert live == plain, differences(plain, live)


@pytest.mark.parametrize("strategy", ["random", "dpor"])
def test_explored_program_behaves_like_the_plain_program(plain: dict[str, Any], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, strategy: str) -> None:
    out = tmp_path / "explore.json"
    monkeypatch.setenv("TRANSPARENCY_OUT", str(out))
    settings = racelab.Settings(strategy=strategy, max_schedules=3, time_limit=60.0)
    (result,) = racelab.explore(f"{PROGRAM}::scenario_transparency", settings)
    assert result.failure is None, f"{result.failure.kind}: {result.failure.message}\n{result.failure.traceback}"
    assert result.instrumented and any("transparency" in name for name in result.instrumented), result.instrumented
    explored = json.loads(out.read_text())
    assert explored == plain, differences(plain, explored)
