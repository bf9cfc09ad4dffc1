"""``racelab bench-server --quick`` with tiny numbers: the tables appear (no speed assertions)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "racelab.server", "bench-server", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=150)


@pytest.mark.timeout(180)
def test_quick_run_prints_every_table() -> None:
    done = bench("--quick", "--duration", "1", "--idle", "200")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for heading in ("## Throughput", "## C10K: 200 idle", "## Pool sizing", "## Goals"):
        assert heading in out, out
    rows = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"asyncio", "inline", "pool", "thread-per-connection", "process-per-connection"} <= rows, out
    assert "rule N*(1+WT/CT)" in out and "measured knee" in out
    assert "inline >= 1.0x asyncio" in out and "pool   >= 0.5x asyncio" in out
    assert "holds 200 idle connections" in out
    held = [line.split() for line in out.split("## C10K")[1].split("## Pool")[0].splitlines()
            if line.startswith(("inline ", "pool "))]
    assert [row[1] for row in held] == ["200", "200"], out


def test_bad_options_are_one_line_and_status_2() -> None:
    done = bench("--duration", "0")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "bench-server" in done.stderr
