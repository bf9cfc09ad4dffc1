"""A heap object with an invariant across two fields: a transfer between two balances.

Objects on the heap are shared by every thread that holds a reference. A transfer
debits one field and credits the other; in between the total is short. An auditor
that reads both fields at that moment sees money that does not exist.
"""

import threading

EXPECTED_FAILURE = "assertion"


class Wallet:
    def __init__(self) -> None:
        self.checking = 100
        self.savings = 0

    def move_to_savings(self, amount: int) -> None:
        self.checking -= amount
        self.savings += amount

    def total(self) -> int:
        return self.checking + self.savings


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
