"""Two real threads update one dict entry without a lock."""

import sys
import threading

box = {"n": 0}


def work():
    for _ in range(50):
        box["n"] += 1  # racy


threads = [threading.Thread(target=work) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("n =", box["n"])
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
