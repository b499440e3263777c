"""Fixtures for the station tests."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


from tests.station.audio_fixtures import pulse  # noqa: E402,F401  (shared by capture and keyer tests)
from tests.station.ntp_server import ntp_server  # noqa: E402, F401  (a fixture)
