from __future__ import annotations

from collections.abc import Iterator

import pytest

from racelab.detect import Detector
from racelab.detect.live import install, uninstall


@pytest.fixture()
def detector() -> Iterator[Detector]:
    """A live run's detector, installed for the test (``racelab run`` without a program)."""
    det = Detector()
    _, patcher = install(det)
    try:
        yield det
    finally:
        uninstall(patcher)
