"""``control.current_frames`` (used to say where each thread of a deadlock waits) must not hang.

On CPython 3.11 a garbage collection that starts inside ``sys._current_frames()`` (while it
holds the interpreter's list of thread states locked) and frees a ``threading.local`` takes
that lock again and hangs the whole process, GIL included. The script below arranges for a
collection to start at each of the first allocations inside the call; each run is a separate
process, so a hang fails the test instead of freezing the suite."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import _thread, gc, sys, threading
from racelab._core.control import current_frames

threads = [threading.Thread(target=threading.Event().wait, args=(5,), daemon=True) for _ in range(3)]
for t in threads:
    t.start()
for offset in range(10):
    gc.disable()
    gc.collect()
    for _ in range(50):
        a = []
        b = _thread._local()
        b.x, _ = a, a.append(b)  # a cycle that holds a thread-local
        del a, b
    gc.set_threshold(gc.get_count()[0] + offset)
    gc.enable()
    frames = current_frames()
    assert threading.main_thread().ident in frames
gc.set_threshold(700, 10, 10)
print("ok")
"""


def test_current_frames_survives_a_collection_that_frees_a_thread_local() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
