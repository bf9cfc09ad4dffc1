"""The real server (pool model) in this process with one piece of state on a chosen remedy, a
few requests from the load client on a thread, then a clean shutdown; for ``racelab run``.

    racelab run --instrument racelab.server live_server.py PIECE REMEDY [ACCESS_LOG]

The handler first waits 5 ms, as one doing I/O would, so that the four clients' requests are
handled by four workers at once: the detector then sees concurrent handlers on every run, not
only when the machine happens to interleave them. Prints ``served N`` (responses received).
"""

import sys
import threading
import time

from racelab.server.app import App
from racelab.server.loadgen import LoadOptions, run_load
from racelab.server.reactor import Model, Server, ServerOptions
from racelab.server.state import Remedies, Remedy


class SlowApp(App):
    def __call__(self, req, close):
        time.sleep(0.005)
        return super().__call__(req, close)


piece, remedy = sys.argv[1], sys.argv[2]
log_path = sys.argv[3] if len(sys.argv) > 3 else None
remedies = Remedies.everywhere(Remedy.MUTEX, **{piece: Remedy(remedy)})
server = Server(ServerOptions(model=Model.POOL, max_workers=4, remedies=remedies, log_path=log_path),
                app_cls=SlowApp)
host, port = server.bind()
loop = threading.Thread(target=server.serve_forever, name="loop")
loop.start()
served = []


def client() -> None:
    load = LoadOptions(host, port, connections=4, requests=48, duration=30, pipeline=1,
                       reload_every=4 if piece == "config" else 0, close_each=piece == "table")
    served.append(run_load(load).received)


driver = threading.Thread(target=client, name="client")
driver.start()
driver.join()
server.shutdown()
loop.join()
print("served", served[0])
