"""Release tests: service messages in English (outside a request, the default is French), and a
release ready for a beta."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale

from tests.factories import add_bricks, make_testers, plan_release


@pytest.fixture(autouse=True)
def english(db_session) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with force_locale("en"):
        yield


@pytest.fixture
def beta(db_session, world):  # type: ignore[no-untyped-def]
    """A release "Socle" with two bricks, and three testers of the academy's panel."""
    release = plan_release(db_session, world, "Socle")
    add_bricks(db_session, world.academy, release)
    testers = make_testers(db_session, world.academy, 3)
    return release, testers
