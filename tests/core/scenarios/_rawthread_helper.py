"""Binds the factories below ``threading`` at import, as libraries do (imported by rawthread.py).

Not instrumented: it only hands the factories over. When a test imports it before exploring,
these names are real objects that racelab must rebind; imported while exploring, they are
already the controlled ones."""

import threading
from _queue import SimpleQueue
from _thread import LockType, RLock, allocate_lock, start_new_thread
from threading import Condition, Event, Lock, Semaphore

try:
    from _thread import start_joinable_thread
except ImportError:  # before 3.13
    start_joinable_thread = None

crlock = threading._CRLock
threading_allocate_lock = threading._allocate_lock
