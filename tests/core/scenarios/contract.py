"""The scenario contract: discovery, settings on the decorator, failures in threads, nondeterminism."""

import threading

import racelab

runs = {"n": 0}


@racelab.scenario(strategy="dfs", preemption_bound=0)
def marked_without_prefix():
    """Found because it is marked; its own settings (no preemption) hide the lost update."""
    box = {"n": 0}

    def bump():
        box["n"] += 1

    ts = [threading.Thread(target=bump) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert box["n"] == 2


def not_a_scenario():
    raise AssertionError("functions neither named scenario_* nor marked are not explored")


def scenario_exception_in_a_thread():
    def worker():
        {}["missing"]

    t = threading.Thread(target=worker, name="crasher")
    t.start()
    t.join()


def scenario_nondeterministic():
    """Starts one more thread on every run: a replayed prefix cannot be followed."""
    runs["n"] += 1
    ts = [threading.Thread(target=lambda: None) for _ in range(1 + runs["n"] % 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
