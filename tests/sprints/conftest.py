"""Sprint tests: a clock the tests set (the sprint pages read it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import change_brick, make_brick, stage_of
from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Brick
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


# Kept for tests written before tests/factories/: use stage_of, make_brick and change_brick.


def stage(session: Session, academy: Academy, category: StageCategory, nth: int = 0) -> Stage:
    return stage_of(session, academy, category, nth)


def brick(session: Session, academy: Academy, actor: Any, title: str, points: int | None,
          **values: Any) -> Brick:  # fmt: skip
    return make_brick(session, academy, title, actor=actor, estimate_points=points, **values)


edit = change_brick
