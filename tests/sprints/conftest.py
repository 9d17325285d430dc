"""Sprint test helpers: a clock the tests set, stages by category, bricks in a few words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.academies.services import list_stages
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick
from tracker.db import utcnow
from tracker.sprints import views as sprint_views

UTC = dt.UTC


class Clock:
    """The time a test sets: services are given `clock.now`, and the sprint pages read it."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def set(self, *args: int) -> dt.datetime:
        self.now = dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]
        return self.now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    # Views read the clock themselves (they pass `now` to the services).
    monkeypatch.setattr(sprint_views, "utcnow", clock)
    return clock


def stage(session: Session, academy: Academy, category: StageCategory, nth: int = 0) -> Stage:
    stages = [s for s in list_stages(session, academy) if s.category == category]
    return stages[nth]


def brick(session: Session, academy: Academy, actor: Any, title: str, points: int | None, *,
          now: dt.datetime | None = None, **values: Any) -> Brick:  # fmt: skip
    values.setdefault("format", "video")
    return brick_services.create_brick(
        session, academy, actor=actor, title=title, estimate_points=points, now=now or utcnow(),
        **values,
    )  # fmt: skip


def edit(session: Session, brick: Brick, actor: Any, *, now: dt.datetime | None = None,
         **values: Any) -> None:  # fmt: skip
    brick_services.update_brick(
        session, brick, actor=actor, expected_version=brick.version, now=now or utcnow(), **values
    )
