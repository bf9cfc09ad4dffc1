"""threading.local: one namespace per controlled thread."""

import threading


def scenario_ok_values_are_per_thread():
    data = threading.local()
    data.name = "main"
    seen = []

    def work(name):
        assert not hasattr(data, "name"), "a new thread saw another thread's attribute"
        data.name = name
        threading.Event().wait(0.001)  # a scheduling point between the write and the read
        seen.append((name, data.name))

    ts = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(seen) == [("a", "a"), ("b", "b")], seen
    assert data.name == "main"


def scenario_ok_subclass_init_runs_per_thread():
    class Counter(threading.local):
        def __init__(self):
            self.n = 0

    counter = Counter()
    results = []

    def work():
        for _ in range(2):
            counter.n += 1
        results.append(counter.n)

    ts = [threading.Thread(target=work) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [2, 2], results
    assert counter.n == 0


def scenario_bug_shared_object_instead_of_local():
    class Plain:
        pass

    data = Plain()
    seen = []

    def work(name):
        data.name = name
        threading.Event().wait(0.001)
        seen.append((name, data.name))

    ts = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(mine == got for mine, got in seen), seen
