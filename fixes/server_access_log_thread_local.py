"""Fixed with the thread_local remedy. The access log of the real epoll server (pool model): one shared file handle, each line
written field by field (as ``print`` does). Two workers logging at once interleave fields, so
a line is torn."""

import os
import tempfile

from racelab.server.scenario_kit import run_clients, server_modules
from racelab.server.state import Remedies, Remedy

__racelab_instrument__ = ["racelab.server.state"]
REMEDY = Remedy.THREAD_LOCAL

MODULES = server_modules()


def scenario_server_access_log() -> int:
    fd, path = tempfile.mkstemp(prefix="racelab-access-", suffix=".log")
    os.close(fd)
    try:
        stats, _ = run_clients(MODULES, Remedies.everywhere(Remedy.MUTEX, log=REMEDY), log_path=path)
    finally:
        os.unlink(path)
    log = stats["log"]
    assert log == {"lines": 2, "torn": 0}, f"access log: {log}"
    return log["lines"]
