"""A module with a racy counter; instrumented only when asked (``--instrument shared_counter``)."""


class Counter:
    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1  # racy
