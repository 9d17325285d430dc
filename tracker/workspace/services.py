"""What waits for a person in an academy, one query per part whatever the academy's size.

Each part is shown only to those whose role has it: the bricks they own (by stage), the
definition-of-done items still open on them and the comments that mention them (people who
work on the backlog); the rounds they must answer (testers); the needs they submitted and
follow (requesters); the releases waiting for a go/no-go (those who decide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, contains_eager

from tracker.academies.models import Academy, Role, Stage
from tracker.auth.models import User
from tracker.auth.permissions import Permission, allows
from tracker.backlog.models import Brick, ChecklistItem, Comment, NeedStatus, TrainingNeed
from tracker.collation import folded
from tracker.db import LIKE_ESCAPE, like_contains
from tracker.feedback.models import FeedbackRound, RoundInvitation, RoundState
from tracker.releases.models import Release, ReleaseState
from tracker.workspace.notify import mention_patterns

# Each list is bounded (the page says when there is more elsewhere).
MAX_BRICKS = 200
MAX_ITEMS = 50
MAX_COMMENTS = 20
MAX_ROWS = 50
OPEN_NEEDS = (NeedStatus.NEW, NeedStatus.ACCEPTED, NeedStatus.PLANNED)


@dataclass
class MyWork:
    # (stage, its bricks), in the board's order.
    bricks_by_stage: list[tuple[Stage, list[Brick]]] = field(default_factory=list)
    open_items: list[tuple[ChecklistItem, Brick]] = field(default_factory=list)
    mentions: list[tuple[Comment, Brick]] = field(default_factory=list)
    rounds: list[FeedbackRound] = field(default_factory=list)
    needs: list[TrainingNeed] = field(default_factory=list)
    decisions: list[Release] = field(default_factory=list)
    parts: set[str] = field(default_factory=set)  # which parts the person's role has


def my_work(session: Session, academy: Academy, user: User, *, role: Role | None) -> MyWork:
    def may(permission: Permission) -> bool:
        return allows(user, permission, academy, role=role)

    work = MyWork()
    if may(Permission.BRICK_VIEW):
        work.parts |= {"bricks", "items", "mentions"}
        _bricks(session, academy, user, work)
        _open_items(session, academy, user, work)
        _mentions(session, academy, user, work)
    if may(Permission.ROUND_ANSWER):
        work.parts.add("rounds")
        work.rounds = list(
            session.scalars(
                select(FeedbackRound)
                .join(RoundInvitation, RoundInvitation.round_id == FeedbackRound.id)
                .where(
                    FeedbackRound.academy_id == academy.id,
                    FeedbackRound.state == RoundState.OPEN,
                    RoundInvitation.user_id == user.id,
                    RoundInvitation.completed_at.is_(None),
                )
                .order_by(FeedbackRound.closes_at, FeedbackRound.id)
                .limit(MAX_ROWS)
            )
        )
    if may(Permission.NEED_SUBMIT):
        work.parts.add("needs")
        work.needs = list(
            session.scalars(
                select(TrainingNeed)
                .where(
                    TrainingNeed.academy_id == academy.id,
                    TrainingNeed.submitted_by_id == user.id,
                    TrainingNeed.status.in_(OPEN_NEEDS),
                )
                .order_by(TrainingNeed.updated_at.desc(), TrainingNeed.id.desc())
                .limit(MAX_ROWS)
            )
        )
    if may(Permission.RELEASE_DECIDE):
        work.parts.add("decisions")
        closed = exists().where(
            FeedbackRound.release_id == Release.id, FeedbackRound.state == RoundState.CLOSED
        )
        still_open = exists().where(
            FeedbackRound.release_id == Release.id, FeedbackRound.state != RoundState.CLOSED
        )
        work.decisions = list(
            session.scalars(
                select(Release)
                .where(
                    Release.academy_id == academy.id,
                    Release.state == ReleaseState.IN_BETA,
                    closed,
                    ~still_open,
                )
                .order_by(Release.target_date, Release.id)
                .limit(MAX_ROWS)
            )
        )
    return work


def _bricks(session: Session, academy: Academy, user: User, work: MyWork) -> None:
    bricks = session.scalars(
        select(Brick)
        .join(Brick.stage)
        .options(contains_eager(Brick.stage))
        .where(Brick.academy_id == academy.id, Brick.owner_id == user.id)
        .order_by(Stage.position, Brick.rank)
        .limit(MAX_BRICKS)
    ).all()
    for brick in bricks:
        if not work.bricks_by_stage or work.bricks_by_stage[-1][0].id != brick.stage_id:
            work.bricks_by_stage.append((brick.stage, []))
        work.bricks_by_stage[-1][1].append(brick)


def _open_items(session: Session, academy: Academy, user: User, work: MyWork) -> None:
    rows: Any = session.execute(
        select(ChecklistItem, Brick)
        .join(Brick, Brick.id == ChecklistItem.brick_id)
        .where(
            Brick.academy_id == academy.id,
            Brick.owner_id == user.id,
            ChecklistItem.done.is_(False),
        )
        .order_by(Brick.rank, ChecklistItem.position)
        .limit(MAX_ITEMS)
    ).all()
    work.open_items = [(item, brick) for item, brick in rows]


def _mentions(session: Session, academy: Academy, user: User, work: MyWork) -> None:
    patterns = mention_patterns(user)
    if not patterns:
        return
    body = folded(Comment.body)
    rows: Any = session.execute(
        select(Comment, Brick)
        .join(Brick, Brick.id == Comment.brick_id)
        .where(
            Brick.academy_id == academy.id,
            or_(Comment.author_id.is_(None), Comment.author_id != user.id),
            or_(*(body.like(like_contains(p), escape=LIKE_ESCAPE) for p in patterns)),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(MAX_COMMENTS)
    ).all()
    work.mentions = [(comment, brick) for comment, brick in rows]
