"""lock_order, remedy mutex: one lock for the whole bank instead of one per account.

With a single lock there is no order to get wrong; the price is that unrelated
transfers also wait for each other.
"""

import threading

_bank_lock = threading.Lock()


class Account:
    def __init__(self, name: str, balance: int) -> None:
        self.name = name
        self.balance = balance


def reset() -> None:
    global _bank_lock
    _bank_lock = threading.Lock()


def transfer(src: Account, dst: Account, amount: int) -> None:
    with _bank_lock:
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
