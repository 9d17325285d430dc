"""Bench case for the learning outcomes: `release-outcomes`, the release page of a released
release whose 3 bricks have `size` learner facts (default 100,000), as the manager. Its
queries/req must not grow with the size (tracker/learning/outcomes.py: aggregates by SQL).

    .venv/bin/python bench/run.py release-outcomes --sizes 1000 100000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case
from tracker.academies.models import Academy
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.demo import DEMO_SLUG
from tracker.learning.models import FactSource, FactVerb, LearnerFact
from tracker.learning.services import learner_key, set_brick_identifiers
from tracker.releases.models import Release, ReleaseState

UNITS = ("Sales", "Finance", "HR", "IT", "Operations", "Legal", "Tiny")


def seed_release_outcomes(session: Session, size: int | None) -> Mapping[str, Any]:
    """A released release of 3 bricks with `size` facts (a launch, and a completion with a score
    and a time for two learners in three), inserted in batches."""
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    release = Release(academy_id=academy.id, name="Bench outcomes", state=ReleaseState.RELEASED)
    session.add(release)
    session.flush()
    bricks = []
    for n in range(3):
        brick = create_brick(
            session, academy, actor=None, title=f"Bench module {n + 1}", format="mooc",
            now=utcnow(), release_id=release.id, learner_minutes=30,
        )  # fmt: skip
        set_brick_identifiers(session, brick, course_id=f"BENCH-{n}", iris=[])
        bricks.append(brick)
    total = size or 100_000
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for i in range(total):
        learner = i // 2
        brick = bricks[learner % 3]
        done = i % 2 == 1 and learner % 3 != 0
        rows.append({
            "academy_id": academy.id, "brick_id": brick.id, "source": FactSource.XAPI,
            "source_id": f"bench-{i}", "learner_key": learner_key("bench", str(learner)),
            "business_unit": UNITS[learner % len(UNITS)] if learner % 50 else "Tiny",
            "verb": FactVerb.PASSED if done else FactVerb.LAUNCHED, "occurred_at": now,
            "score": (40 + learner % 60) / 100 if done else None,
            "seconds": 600 + (learner % 40) * 60 if done else None, "completed": done,
        })  # fmt: skip
        if len(rows) == 5000:
            session.execute(insert(LearnerFact), rows)
            rows = []
    if rows:
        session.execute(insert(LearnerFact), rows)
    session.flush()
    return {"release_id": release.id}


@case("release-outcomes", seed=seed_release_outcomes, sized=True, login_as="manager")
def release_outcomes(ctx: Context) -> Request:
    """The release page with its outcomes; size = learner facts on its 3 bricks."""
    return Request(f"/a/{ctx.facts['academy_slug']}/releases/{ctx.facts['release_id']}/")
