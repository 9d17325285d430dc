"""Fixtures of the answer and item tests: an open round, and one tester invited to it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import Setup, invite, make_round, make_tester
from tracker.feedback.models import RoundInvitation

# When the round opens and the tester is invited (the NOW of test_answers.py and test_items.py).
OPENED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def setup(db_session, world) -> Setup:
    """An open round (made through the services, see factories.make_round)."""
    return make_round(db_session, world.academy, world.manager, now=OPENED)


@pytest.fixture
def invitation(db_session, world, setup) -> RoundInvitation:
    """A tester of the RH business unit in Lille, invited to `setup`'s round."""
    tester = make_tester(db_session, world.academy, business_unit="RH", site="Lille")
    return invite(db_session, setup.round, [tester], now=OPENED)[0]
