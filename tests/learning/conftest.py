from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.learning.lrs import Lrs, running_ralph

KEY = "test-learner-key-not-in-the-database"
EXTENSION = "https://brique.test/xapi/business-unit"


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    """A real LRS (Ralph) on loopback, pages of 100 statements, shared by a test module."""
    with running_ralph(tmp_path_factory.mktemp("ralph"), page_size=100) as found:
        yield found


@pytest.fixture
def learner_key(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(app.config, "LEARNER_KEY", KEY)
    return KEY


@pytest.fixture(autouse=True)
def lrs_on_loopback(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' LRS (Ralph) listens on loopback: the address guard lets private addresses
    through here (LRS_ALLOW_PRIVATE, as TRACKER_LRS_ALLOW_PRIVATE=1 does); the guard's own
    tests turn it off."""
    monkeypatch.setitem(app.config, "LRS_ALLOW_PRIVATE", True)
