"""A scenario takes no arguments."""


def scenario_with_argument(count):
    assert count
