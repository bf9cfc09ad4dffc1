"""transfer, remedy atomic: an immutable pair behind an ``AtomicRef``, updated by compare-and-set.

The writer builds the new pair from the one it read and installs it only if nobody
replaced it in between (retrying otherwise), so it stays correct with several writers.
"""

import threading

from racelab.atomic import AtomicRef


class Wallet:
    def __init__(self) -> None:
        self.balances: AtomicRef[tuple[int, int]] = AtomicRef((100, 0))

    def move_to_savings(self, amount: int) -> None:
        while True:
            old = self.balances.get()
            new = (old[0] - amount, old[1] + amount)
            if self.balances.compare_and_set(old, new):
                return

    def total(self) -> int:
        checking, savings = self.balances.get()
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
