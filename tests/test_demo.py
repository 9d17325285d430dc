"""The demo academy: believable planning content, and a seed that never duplicates anything."""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import func, select

from tracker.backlog.models import (
    Activity,
    Brick,
    ChecklistItem,
    LearningObjective,
    LearningPath,
    NeedStatus,
    TrainingNeed,
    need_brick,
)
from tracker.backlog.needs_models import NeedEvent
from tracker.demo import DEMO_BRICKS, DEMO_NEEDS, DEMO_PATHS, seed_demo
from tracker.releases.models import Release, ReleaseEvent
from tracker.sprints.models import Sprint

COUNTED = (
    Brick,
    LearningPath,
    Release,
    ReleaseEvent,
    Sprint,
    TrainingNeed,
    NeedEvent,
    Activity,
    ChecklistItem,
    LearningObjective,
)


def counts(session) -> dict[str, int]:
    result = {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }
    result["need_brick"] = session.scalar(select(func.count()).select_from(need_brick))
    return result


def seed(session):
    with force_locale("fr"):
        academy, _people = seed_demo(session, password="demo password 123")
    session.flush()
    return academy


def test_the_demo_academy_has_believable_planning_content(db_session):
    academy = seed(db_session)

    bricks = db_session.scalars(select(Brick).where(Brick.academy_id == academy.id)).all()
    needs = db_session.scalars(
        select(TrainingNeed).where(TrainingNeed.academy_id == academy.id)
    ).all()
    assert len(bricks) == len(DEMO_BRICKS) >= 30
    assert len({b.format for b in bricks}) >= 10
    assert len({b.stage_id for b in bricks}) == len(academy.stages)  # every column has some
    assert all(b.objectives and b.owner_id and b.estimate_points for b in bricks)
    assert {p.name for p in db_session.scalars(select(LearningPath))} >= {
        p.name for p in DEMO_PATHS
    }
    sprint = db_session.scalar(select(Sprint).where(Sprint.academy_id == academy.id))
    committed = sum(b.estimate_points or 0 for b in bricks if b.sprint_id == sprint.id)
    assert 0 < committed <= (sprint.capacity_points or 0)
    assert sprint.end_date >= sprint.start_date
    assert len(needs) == len(DEMO_NEEDS)
    assert {n.status for n in needs} == set(NeedStatus)
    assert all(n.decline_reason for n in needs if n.status == NeedStatus.DECLINED)
    assert sum(1 for n in needs if n.bricks) >= 5
    done = [b for b in bricks if b.stage.category.value == "done"]
    assert done and all(item.done for b in done for item in b.checklist)


def test_seeding_twice_duplicates_nothing(db_session):
    seed(db_session)
    first = counts(db_session)

    seed(db_session)

    assert counts(db_session) == first
