"""Threads that leave racelab's sight: real blocking calls, loops in uninstrumented code, real locks."""

import logging
import os
import select
import threading


def scenario_main_reads_a_pipe_nobody_writes():
    r, w = os.pipe()
    try:
        os.read(r, 1)
    finally:
        os.close(r)
        os.close(w)


def scenario_worker_selects_forever():
    r, w = os.pipe()

    def wait():
        select.select([r], [], [])

    t = threading.Thread(target=wait, daemon=True)
    t.start()
    t.join()


def scenario_worker_blocks_in_a_builtin():
    r, w = os.pipe()
    t = threading.Thread(target=os.read, args=(r, 1), daemon=True)
    t.start()
    t.join()


def scenario_main_spins():
    exec(compile("while True: pass", "<uninstrumented>", "exec"))


def scenario_worker_spins():
    t = threading.Thread(target=exec, args=(compile("while True: pass", "<uninstrumented>", "exec"),))
    t.start()
    t.join()


def scenario_real_lock_made_before_exploring():
    import _made_before

    box = {"n": 0}

    def work():
        with _made_before.REAL_LOCK:  # held across a scheduling point by a thread racelab parks
            box["n"] += 1

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2


class _CountingLogger(logging.Logger):
    made = {"n": 0}

    def __init__(self, name):
        super().__init__(name)
        _CountingLogger.made["n"] += 1  # a scheduling point, under logging's own real lock


def scenario_logger_class_under_logging_lock():
    logging.setLoggerClass(_CountingLogger)
    try:
        threads = [threading.Thread(target=logging.getLogger, args=(f"racelab.example.{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        logging.setLoggerClass(logging.Logger)
        for i in range(2):
            logging.Logger.manager.loggerDict.pop(f"racelab.example.{i}", None)
