"""Imported before exploring (by the test's runner) and not instrumented (``--no-instrument``): its lock
is a real one racelab cannot replace."""

import _thread

REAL_LOCK = _thread.allocate_lock()
