"""transfer, remedy mutex: one lock guards both fields, for the writer and the reader."""

import threading


class Wallet:
    def __init__(self) -> None:
        self.checking = 100
        self.savings = 0
        self.lock = threading.Lock()

    def move_to_savings(self, amount: int) -> None:
        with self.lock:
            self.checking -= amount
            self.savings += amount

    def total(self) -> int:
        with self.lock:
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
