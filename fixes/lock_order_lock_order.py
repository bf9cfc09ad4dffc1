"""lock_order, remedy lock_order: every thread takes the two locks in one global order (by account name).

A cycle in the wait-for graph needs two threads taking the same locks in opposite
orders; with one order for all, the second thread waits for the first lock and never
holds the other.
"""

import threading


class Account:
    def __init__(self, name: str, balance: int) -> None:
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def reset() -> None:
    pass


def transfer(src: Account, dst: Account, amount: int) -> None:
    first, second = (src, dst) if src.name < dst.name else (dst, src)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount


def scenario_lock_order() -> tuple[int, int]:
    reset()
    a, b = Account("a", 100), Account("b", 100)
    threads = [
        threading.Thread(target=transfer, args=(a, b, 10)),
        threading.Thread(target=transfer, args=(b, a, 20)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (a.balance, b.balance) == (110, 90), f"balances {a.balance}, {b.balance}: a transfer went missing"
    return (a.balance, b.balance)
