"""A helper module with an unsynchronised counter; it knows nothing about racelab."""


class Counter:
    def __init__(self):
        self.value = 0

    def increment(self):
        self.value += 1
