"""transfer, WRONG fix: one lock per field.

Each field is now updated under its own lock, so no single update is lost, but the
invariant spans *both* fields: between the debit (under one lock) and the credit (under
the other) an auditor can take both locks in turn and see the money missing.
"""

import threading

EXPECTED_FAILURE = "assertion"


class Wallet:
    def __init__(self) -> None:
        self.checking = 100
        self.savings = 0
        self.checking_lock = threading.Lock()
        self.savings_lock = threading.Lock()

    def move_to_savings(self, amount: int) -> None:
        with self.checking_lock:
            self.checking -= amount
        with self.savings_lock:
            self.savings += amount

    def total(self) -> int:
        with self.checking_lock:
            checking = self.checking
        with self.savings_lock:
            savings = self.savings
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
