"""The epoll server core (a leaf package: nothing in the engine imports it)."""

from racelab.server.loadgen import LoadOptions as LoadOptions
from racelab.server.loadgen import LoadReport as LoadReport
from racelab.server.loadgen import Reconciliation as Reconciliation
from racelab.server.loadgen import reconcile as reconcile
from racelab.server.loadgen import run_load as run_load
from racelab.server.reactor import Model as Model
from racelab.server.reactor import Server as Server
from racelab.server.reactor import ServerOptions as ServerOptions
from racelab.server.reactor import start_in_thread as start_in_thread
from racelab.server.state import Remedies as Remedies
from racelab.server.state import Remedy as Remedy
