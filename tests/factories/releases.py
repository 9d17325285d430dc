"""Releases: straight from the model (a bucket for a round's bricks) or through create_release
(a planned release with its creation recorded)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from tests.factories.academies import World
from tracker.academies.models import Academy
from tracker.db import utcnow
from tracker.releases.models import Release
from tracker.releases.services import create_release

_counter = itertools.count(1)


def make_release(session: Session, academy: Academy) -> Release:
    """A planned release row, without history (the results and triage tests need only one)."""
    release = Release(academy_id=academy.id, name=f"Release {next(_counter)}")
    session.add(release)
    session.flush()
    return release


def plan_release(
    session: Session,
    world: World,
    name: str = "",
    *,
    now: dt.datetime | None = None,
    **values: Any,
) -> Release:
    """A planned release created by the world's manager, through create_release."""
    return create_release(
        session,
        world.academy,
        name=name or f"Incrément {next(_counter)}",
        actor=world.manager,
        now=now or utcnow(),
        **values,
    )
