"""What the generated scenario of the explore mode calls (racelab: no-instrument).

``run(args)`` is ``pytest.main(args)`` with pytest's terminal output sent to
``$DIFFTEST_LOG``, since the explorer throws away what a scenario prints. The suite runs
once per process: when the explorer runs the scenario again (to replay a failure in
verbose mode), ``run`` returns at once, keeping the outcomes of the first, real execution.
"""

from __future__ import annotations

import contextlib
import os

_status: list[int] = []


def run(args: list[str]) -> int:
    if _status:
        return _status[0]
    _status.append(-1)  # until pytest.main returns (an execution that stops may end it early)
    import pytest

    log = os.environ.get("DIFFTEST_LOG") or os.devnull
    with open(log, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        _status[0] = int(pytest.main(args))
    return _status[0]
