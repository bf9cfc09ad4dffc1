"""A file with functions, none of them a scenario."""


def helper():
    return 1
