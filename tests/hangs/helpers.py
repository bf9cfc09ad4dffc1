"""Run ``racelab`` on the scenarios of ``tests/hangs/scenarios`` in a fresh interpreter.

Every exploration here runs in a separate process under an external timeout: a hang fails the
test instead of freezing the suite (a hang can hold the GIL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"
REPO = Path(__file__).resolve().parents[2]
_MAIN = ("import sys; sys.path.insert(0, {dir!r}); {imports}"
         "import racelab.cli; sys.exit(racelab.cli.main())")


def _command(args: tuple[str, ...], imports: tuple[str, ...]) -> list[str]:
    code = _MAIN.format(dir=str(SCENARIOS), imports="".join(f"import {m}; " for m in imports))
    return [sys.executable, "-c", code, *args]


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str], elapsed: float) -> None:
        self.returncode, self.stdout, self.stderr, self.elapsed = proc.returncode, proc.stdout, proc.stderr, elapsed

    def json(self) -> dict:
        return json.loads(self.stdout)


def racelab(*args: str, imports: tuple[str, ...] = (), timeout: float = 60) -> Run:
    """``racelab ARGS`` in a fresh interpreter that imported ``imports`` first (made before exploring)."""
    start = time.monotonic()
    proc = subprocess.run(_command(args, imports), capture_output=True, text=True, timeout=timeout, cwd=SCENARIOS,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    run = Run(proc, time.monotonic() - start)
    assert "internal error" not in run.stdout + run.stderr, run.stdout + run.stderr
    return run


def where(file: str, source: str) -> str:
    """``file:line  `source``` for the line of ``file`` (in scenarios/) that starts with ``source``."""
    lines = (SCENARIOS / file).read_text().splitlines()
    [number] = [i for i, line in enumerate(lines, 1) if line.strip().startswith(source)]
    return f"{file}:{number}  `{source}"


def interrupt(*args: str, after: float = 0.5) -> tuple[subprocess.Popen[str], str, str, float]:
    """Start ``racelab ARGS``, wait until its scenario runs (it creates $RACELAB_TEST_MARKER), let it
    go on for ``after`` seconds, press Ctrl-C: (process, stdout, stderr, seconds it took to stop)."""
    marker = Path(tempfile.gettempdir()) / f"racelab-started-{os.getpid()}"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(_command(args, ()), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=SCENARIOS, env=dict(os.environ, PYTHONPATH=str(REPO), RACELAB_TEST_MARKER=str(marker)))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(after)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        return proc, out, err, time.monotonic() - sent
    finally:
        marker.unlink(missing_ok=True)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
