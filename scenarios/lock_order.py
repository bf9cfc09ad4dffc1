"""Lock-order inversion: two transfers in opposite directions deadlock.

Each transfer locks the source account, then the destination. Transfer a->b holds
a's lock and waits for b's; transfer b->a holds b's lock and waits for a's: neither
can go on.
"""

import threading

EXPECTED_FAILURE = "deadlock"


class Account:
    def __init__(self, name: str, balance: int) -> None:
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src: Account, dst: Account, amount: int) -> None:
    with src.lock:
        with dst.lock:
            src.balance -= amount
            dst.balance += amount


def scenario_lock_order() -> tuple[int, int]:
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
