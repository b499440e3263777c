"""Fixtures of every test: none reads the real user's station config file."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from station.config import CONFIG_ENV


@pytest.fixture(autouse=True, scope="session")
def no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """HI_STATION_CONFIG names a missing file, so no test reads ~/.config/hi-station.

    Set in the environment, so the commands the tests start as processes see it too.
    """
    old = os.environ.get(CONFIG_ENV)
    os.environ[CONFIG_ENV] = str(tmp_path_factory.mktemp("no-config") / "config.toml")
    yield
    if old is None:
        os.environ.pop(CONFIG_ENV, None)
    else:
        os.environ[CONFIG_ENV] = old
