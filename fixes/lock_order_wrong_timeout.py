"""lock_order, WRONG fix: take the second lock with a timeout and give up when it expires.

The program no longer hangs, which looks like a fix, but the inversion is still there:
when both transfers hold their first lock, both time out and both transfers are
silently dropped (a livelock when they retry instead).
"""

import threading

EXPECTED_FAILURE = "assertion"


class Account:
    def __init__(self, name: str, balance: int) -> None:
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def reset() -> None:
    pass


def transfer(src: Account, dst: Account, amount: int) -> None:
    with src.lock:
        if not dst.lock.acquire(timeout=0.05):
            return  # "avoid the deadlock": the transfer is dropped
        try:
            src.balance -= amount
            dst.balance += amount
        finally:
            dst.lock.release()


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
