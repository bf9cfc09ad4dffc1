"""Imports a module that does not exist."""

import racelab_test_no_such_module  # noqa: F401


def scenario_never_runs():
    pass
