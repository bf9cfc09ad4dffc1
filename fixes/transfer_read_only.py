"""transfer, remedy read_only: both balances live in one immutable tuple, replaced by one write.

Readers take one reference to a tuple that never changes, so they always see a
consistent pair. Correct for a single writer; several writers need compare-and-set
(see transfer_atomic) or a lock.
"""

import threading


class Wallet:
    def __init__(self) -> None:
        self.balances = (100, 0)  # (checking, savings), never mutated

    def move_to_savings(self, amount: int) -> None:
        checking, savings = self.balances
        self.balances = (checking - amount, savings + amount)

    def total(self) -> int:
        checking, savings = self.balances
        return checking + savings


def scenario_transfer() -> int:
    wallet = Wallet()
    seen: list[int] = []
    mover = threading.Thread(target=wallet.move_to_savings, args=(30,))
    auditor = threading.Thread(target=lambda: seen.append(wallet.total()))
    mover.start()
    auditor.start()
    mover.join()
    auditor.join()
    assert seen == [100], f"torn invariant: the auditor saw a total of {seen[0]}, expected 100"
    return wallet.total()
