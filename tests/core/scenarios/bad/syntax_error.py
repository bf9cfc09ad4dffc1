import threading


def scenario_broken(:
    pass
