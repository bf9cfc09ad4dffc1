"""Bad input to the CLI: exit status 2 and exactly one line on stderr, never a traceback."""

from __future__ import annotations

import pytest

from .helpers import REPO, run_cli

BAD = "tests/core/scenarios/bad"
ITEM = "tests/core/scenarios/known_bugs.py::scenario_lost_update_item"

CASES = {
    "missing file": (["explore", f"{BAD}/missing.py"], "no such file"),
    "syntax error": (["explore", f"{BAD}/syntax_error.py"], "syntax error"),
    "import error": (["explore", f"{BAD}/import_error.py"], "racelab_test_no_such_module"),
    "no scenario found": (["explore", f"{BAD}/no_scenario.py"], "no_scenario.py"),
    "scenario takes arguments": (["explore", f"{BAD}/takes_args.py"], "takes arguments"),
    "unknown strategy": (["explore", f"{BAD}/many_threads.py", "--strategy", "bogus"], "bogus"),
    "more threads than --max-threads": (["explore", f"{BAD}/many_threads.py", "--max-threads", "3"], "3 threads"),
    "damaged token": (["replay", ITEM, "rl1AAMBBgIDQA"], "damaged"),
    "not a token": (["replay", ITEM, "xyz"], "token"),
    "file::missing_name": (["explore", "tests/core/scenarios/lock.py::scenario_missing"], "scenario_missing"),
    "replay without a name": (["replay", "tests/core/scenarios/known_bugs.py", "rl1AAMBAgIDQA"], "::NAME"),
    "negative budget": (["explore", f"{BAD}/many_threads.py", "--max-schedules", "-1"], "max-schedules"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_one_line(case: str) -> None:
    args, needle = CASES[case]
    proc = run_cli(*args, cwd=REPO)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert needle in lines[0], lines[0]
    assert proc.stdout == ""


def test_bad_input_in_json_mode_is_still_one_line_on_stderr() -> None:
    proc = run_cli("explore", f"{BAD}/syntax_error.py", "--json", cwd=REPO)
    assert proc.returncode == 2
    assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1
