"""Classic thread-safety bugs, and their correct counterparts."""

import threading

counter = 0


def _run(*targets):
    ts = [threading.Thread(target=t) for t in targets]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


class Account:
    def __init__(self):
        self.balance = 0

    def deposit(self):
        self.balance += 1


def scenario_lost_update_attribute():
    account = Account()
    _run(account.deposit, account.deposit)
    assert account.balance == 2, account.balance


def scenario_lost_update_item():
    box = {"n": 0}

    def bump():
        box["n"] += 1

    _run(bump, bump)
    assert box["n"] == 2, box["n"]


def _bump_global():
    global counter
    counter += 1


def scenario_lost_update_global():
    global counter
    counter = 0
    _run(_bump_global, _bump_global)
    assert counter == 2, counter


def scenario_lost_update_nonlocal():
    n = 0

    def bump():
        nonlocal n
        n += 1

    _run(bump, bump)
    assert n == 2, n


def scenario_check_then_act():
    """Lazy initialisation without a lock creates the shared object twice."""
    registry = {}
    created = []

    def get_or_create():
        if "conn" not in registry:
            created.append(1)
            registry["conn"] = object()

    _run(get_or_create, get_or_create)
    assert len(created) == 1, f"created {len(created)} times"


def scenario_check_then_act_locked():
    registry = {}
    created = []
    lock = threading.Lock()

    def get_or_create():
        with lock:
            if "conn" not in registry:
                created.append(1)
                registry["conn"] = object()

    _run(get_or_create, get_or_create)
    assert len(created) == 1, f"created {len(created)} times"


def scenario_lock_order_deadlock():
    """Two threads take the same two locks in opposite orders."""
    a = threading.Lock()
    b = threading.Lock()

    def ab():
        with a:
            with b:
                pass

    def ba():
        with b:
            with a:
                pass

    ts = [threading.Thread(target=ab, name="ab"), threading.Thread(target=ba, name="ba")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def scenario_livelock():
    """Two polite threads that each step back while the other wants in, forever."""
    want = {"a": False, "b": False}

    def polite(me, other):
        while True:
            want[me] = True
            if want[other]:
                want[me] = False
                continue
            return

    def greedy_other(me):
        while True:
            want[me] = True  # never steps back, never finishes

    ts = [threading.Thread(target=polite, args=("a", "b")), threading.Thread(target=greedy_other, args=("b",))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def scenario_peterson():
    """Peterson's lock: correct, and it spins. A fair scheduler lets it pass."""
    flag = [False, False]
    state = {"turn": 0, "inside": 0, "n": 0}

    def worker(me):
        other = 1 - me
        flag[me] = True
        state["turn"] = other
        while flag[other] and state["turn"] == other:
            pass
        state["inside"] += 1
        assert state["inside"] == 1, "two threads in the critical section"
        state["n"] += 1
        state["inside"] -= 1
        flag[me] = False

    ts = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert state["n"] == 2


def scenario_peterson_broken():
    """Peterson's lock with the turn handed to oneself: mutual exclusion is lost."""
    flag = [False, False]
    state = {"turn": 0, "inside": 0}

    def worker(me):
        other = 1 - me
        flag[me] = True
        state["turn"] = me
        while flag[other] and state["turn"] == other:
            pass
        state["inside"] += 1
        assert state["inside"] == 1, "two threads in the critical section"
        state["inside"] -= 1
        flag[me] = False

    ts = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
