"""Two real threads bump a counter whose code lives in another module."""

import threading

from shared_counter import Counter

counter = Counter()
threads = [threading.Thread(target=counter.bump) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
