"""Sprints, through sprints.services.create_sprint (two weeks from 2 March 2026 unless told)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from tests.factories.academies import World
from tracker.academies.models import Academy
from tracker.sprints import services as sprint_services
from tracker.sprints.models import Sprint

_counter = itertools.count(1)

SPRINT_START = dt.date(2026, 3, 2)
SPRINT_END = dt.date(2026, 3, 13)


def make_sprint(session: Session, where: Academy | World, name: str = "", **values: Any) -> Sprint:
    """A planned sprint; `start_date=None, end_date=None` for one without dates."""
    academy = where.academy if isinstance(where, World) else where
    values.setdefault("start_date", SPRINT_START)
    values.setdefault("end_date", SPRINT_END)
    return sprint_services.create_sprint(
        session, academy, name=name or f"Sprint {next(_counter)}", **values
    )
