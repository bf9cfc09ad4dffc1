"""One root exception; user errors are told apart from internal ones in the message itself."""

from __future__ import annotations

REPORT_URL = "https://github.com/racelab/racelab/issues"


class RacelabError(Exception):
    """Root of every exception racelab raises on purpose."""


class UsageError(RacelabError):
    """Bad input from the user: the CLI prints the message on one line and exits with status 2."""


class ScenarioError(UsageError):
    """A scenario file or function that racelab cannot explore (syntax error, takes arguments, ...)."""


class NondeterminismError(RacelabError):
    """A replayed schedule took a different path: the scenario is not deterministic."""


class InternalError(RacelabError):
    """A bug in racelab itself."""

    def __init__(self, message: str) -> None:
        super().__init__(f"racelab internal error: {message} (please report it at {REPORT_URL})")
