from __future__ import annotations

from pathlib import Path

import pytest

from .constructs import write_programs


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every construct's scenario file (``scenario_bug`` and ``scenario_twin``), by name."""
    return write_programs(tmp_path_factory.mktemp("visibility"))


@pytest.fixture(scope="session")
def probed_programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same files with the construct made visible by hand (a plain access just before it)."""
    return write_programs(tmp_path_factory.mktemp("visibility-probed"), probe=True)
