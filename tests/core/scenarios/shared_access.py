"""Shared accesses in instrumented code: which operations are scheduling points, which are atomic."""

import collections
import threading


def _run(*targets):
    ts = [threading.Thread(target=t) for t in targets]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def scenario_ok_setdefault_is_atomic():
    d = {}

    def add():
        d.setdefault("k", []).append(1)

    _run(add, add)
    assert d == {"k": [1, 1]}, d


def scenario_ok_deque_popleft_is_atomic():
    dq = collections.deque([1, 2])
    got = []
    _run(lambda: got.append(dq.popleft()), lambda: got.append(dq.popleft()))
    assert sorted(got) == [1, 2]


def scenario_ok_list_append_is_atomic():
    items = []
    _run(lambda: items.append(1), lambda: items.append(2))
    assert sorted(items) == [1, 2]


def scenario_bug_bytearray_item():
    buf = bytearray(1)

    def bump():
        buf[0] += 1

    _run(bump, bump)
    assert buf[0] == 2, buf[0]


def scenario_bug_memoryview_item():
    buf = bytearray(1)
    view = memoryview(buf)

    def bump():
        view[0] += 1

    _run(bump, bump)
    assert buf[0] == 2, buf[0]


def scenario_bug_slice():
    data = [0, 0, 0]

    def bump():
        data[0:2] = [data[0] + 1, data[1] + 1]

    _run(bump, bump)
    assert data[:2] == [2, 2], data


def scenario_bug_del_item():
    d = {"k": 1}

    def remove():
        if "k" in d:
            del d["k"]

    _run(remove, remove)


class Slotted:
    __slots__ = ("v",)

    def __init__(self):
        self.v = 0


def scenario_bug_slots_attribute():
    box = Slotted()

    def bump():
        box.v += 1

    _run(bump, bump)
    assert box.v == 2, box.v


def scenario_bug_delattr():
    class Holder:
        pass

    holder = Holder()
    holder.x = 1

    def remove():
        if hasattr(holder, "x"):
            del holder.x

    _run(remove, remove)
