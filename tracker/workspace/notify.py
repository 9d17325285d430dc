"""Notifications made from the ORM's flush: in the transaction of the change, never for the
person's own action.

Watched: new brick activities (an owner set: "assigned"; a reviewer set: "reviewer"; a move into a
review column: to the brick's owner and reviewer; into a done column: to its owner; a description
edited: mentions), new comments (mentions), new round invitations, new go/no-go decisions (to the
owners of the release's bricks) and release notes being published (to those owners and the
academy's stakeholders). Services of other domains need not know about notifications (they sit
below this package), and no path that records these changes can forget them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory
from tracker.auth.models import User
from tracker.backlog.models import Activity, ActivityKind, Brick, Comment
from tracker.collation import fold
from tracker.db import utcnow
from tracker.feedback.models import FeedbackRound, RoundInvitation
from tracker.releases.models import Decision, Release, ReleaseNotes
from tracker.workspace.models import Notification, NotificationKind

TITLE_MAX = 240


def mention_patterns(user: Any) -> list[str]:
    """What mentions a person in a text, accents and case aside: "@" and their name as shown,
    or "@" and the part of their address before the "@"."""
    handles = {fold(user.display_name).strip(), fold(user.email.split("@", 1)[0])}
    return [f"@{handle}" for handle in sorted(handles) if handle]


def mentioned(connection: Connection, academy_id: int, text: str) -> set[int]:
    """The members of the academy whom `text` mentions."""
    if "@" not in text:
        return set()
    folded_text = fold(text)
    members = connection.execute(
        select(User.id, User.display_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.academy_id == academy_id)
    ).all()
    return {
        member.id
        for member in members
        if any(pattern in folded_text for pattern in mention_patterns(member))
    }


def mention_candidates(
    connection: Connection, academy_id: int, *, vendor_id: int | None = None
) -> list[str]:
    """The names a person may mention (the autocomplete's list): the academy's members by
    name, never an address. A vendor's member (`vendor_id`) is offered the academy's own team
    (managers and designers) and their vendor's colleagues, not the panel of testers."""
    query = (
        select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.academy_id == academy_id, User.is_active_account.is_(True))
        .order_by(User.display_name)
    )
    if vendor_id is not None:
        query = query.where(
            (Membership.role.in_([Role.MANAGER, Role.DESIGNER]))
            | (Membership.vendor_id == vendor_id)
        )
    return [name for name in connection.execute(query).scalars() if name]


class _BrickSeen(NamedTuple):
    id: int
    number: int
    title: str
    owner_id: int | None
    key_prefix: str
    reviewer_id: int | None


def _loaded(session: Session, model: type, key: Any, *fields: str) -> tuple[Any, ...] | None:
    """The `fields` of a row the session holds already, as loaded (never loading: this runs
    inside a flush), or None when it does not hold them all."""
    if not isinstance(key, int):
        return None
    row = session.identity_map.get(identity_key(model, key))
    if row is None:
        return None
    state = inspect(row)
    if state.deleted or state.detached:
        return None
    values = state.dict
    if any(field not in values for field in fields):
        return None
    return tuple(values[field] for field in fields)


class _Pending:
    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session = session
        self.connection = session.connection()
        self.now = now
        self.rows: list[dict[str, Any]] = []
        self._bricks: dict[int, Any] = {}

    def brick(self, brick_id: int) -> Any:
        """The brick's number, title, owner and key prefix: from the session when it holds them
        (a move or an edit has the brick and its academy loaded), else one query."""
        if brick_id in self._bricks:
            return self._bricks[brick_id]
        held = _loaded(
            self.session, Brick, brick_id, "number", "title", "owner_id", "academy_id",
            "reviewer_id",
        )  # fmt: skip
        prefix = _loaded(self.session, Academy, held[3], "key_prefix") if held else None
        if held is not None and prefix is not None:
            number, title, owner_id, _academy, reviewer_id = held
            self._bricks[brick_id] = _BrickSeen(
                brick_id, number, title, owner_id, prefix[0], reviewer_id
            )
        else:
            self._bricks[brick_id] = self.connection.execute(
                select(
                    Brick.id,
                    Brick.number,
                    Brick.title,
                    Brick.owner_id,
                    Academy.key_prefix,
                    Brick.reviewer_id,
                )
                .join(Academy, Academy.id == Brick.academy_id)
                .where(Brick.id == brick_id)
            ).first()
        return self._bricks[brick_id]

    def add(
        self, *, academy_id: int, user_id: int | None, actor_id: int | None,
        kind: NotificationKind, title: str, brick_id: int | None = None,
        round_id: int | None = None, release_id: int | None = None, mailed: bool = False,
    ) -> None:  # fmt: skip
        """`mailed`: the person already gets the news by an e-mail of its own (the notes
        sent to stakeholders): in the app only, passed over by the digest."""
        if user_id is None or user_id == actor_id:
            return  # never for one's own action
        self.rows.append(
            {
                "academy_id": academy_id,
                "user_id": user_id,
                "actor_id": actor_id,
                "kind": kind,
                "title": title[:TITLE_MAX],
                "brick_id": brick_id,
                "round_id": round_id,
                "release_id": release_id,
                "created_at": self.now,
                "emailed_at": self.now if mailed else None,
            }
        )

    def about_brick(self, brick_id: int, kind: NotificationKind, user_id: int | None,
                    actor_id: int | None, academy_id: int) -> None:  # fmt: skip
        brick = self.brick(brick_id)
        if brick is None:
            return
        self.add(
            academy_id=academy_id, user_id=user_id, actor_id=actor_id, kind=kind,
            title=f"{brick.key_prefix}-{brick.number} {brick.title}", brick_id=brick_id,
        )  # fmt: skip


def _stage_category(pending: _Pending, stage_id: Any) -> StageCategory | None:
    if not isinstance(stage_id, int):
        return None
    held = _loaded(pending.session, Stage, stage_id, "category")
    if held is not None:
        return StageCategory(held[0])
    category = pending.connection.execute(
        select(Stage.category).where(Stage.id == stage_id)
    ).scalar()
    return StageCategory(category) if category is not None else None


def _activity(pending: _Pending, activity: Activity) -> None:
    if activity.brick_id is None:
        return
    changes = activity.changes or {}
    actor = activity.actor_id
    for field, news in (
        ("owner_id", NotificationKind.ASSIGNED),
        ("reviewer_id", NotificationKind.REVIEWER),
    ):
        person = changes.get(field)
        if isinstance(person, list) and len(person) == 2 and person[1] and person[0] != person[1]:
            pending.about_brick(activity.brick_id, news, person[1], actor, activity.academy_id)
    stage = changes.get("stage_id")
    if activity.kind == ActivityKind.MOVED and isinstance(stage, list) and len(stage) == 2:
        category = _stage_category(pending, stage[1])
        kind = {
            StageCategory.REVIEW: NotificationKind.IN_REVIEW,
            StageCategory.DONE: NotificationKind.DONE,
        }.get(category) if category else None  # fmt: skip
        brick = pending.brick(activity.brick_id) if kind is not None else None
        if kind is not None and brick is not None:
            pending.about_brick(activity.brick_id, kind, brick.owner_id, actor, activity.academy_id)
            # The reviewer hears that it waits for them (not that it is done: the owner's news).
            if kind == NotificationKind.IN_REVIEW and brick.reviewer_id != brick.owner_id:
                pending.about_brick(
                    activity.brick_id, kind, brick.reviewer_id, actor, activity.academy_id
                )
    description = changes.get("description")
    if isinstance(description, list) and len(description) == 2:
        before = mentioned(pending.connection, activity.academy_id, str(description[0] or ""))
        after = mentioned(pending.connection, activity.academy_id, str(description[1] or ""))
        for user_id in sorted(after - before):
            pending.about_brick(
                activity.brick_id, NotificationKind.MENTION, user_id, actor, activity.academy_id
            )


def _comment(pending: _Pending, comment: Comment) -> None:
    brick = pending.connection.execute(
        select(Brick.academy_id).where(Brick.id == comment.brick_id)
    ).scalar()
    if brick is None:
        return
    for user_id in sorted(mentioned(pending.connection, brick, comment.body)):
        pending.about_brick(
            comment.brick_id, NotificationKind.MENTION, user_id, comment.author_id, brick
        )


def _invitation(pending: _Pending, invitation: RoundInvitation) -> None:
    round_ = pending.connection.execute(
        select(FeedbackRound.academy_id, FeedbackRound.title, FeedbackRound.created_by_id).where(
            FeedbackRound.id == invitation.round_id
        )
    ).first()
    if round_ is None:
        return
    pending.add(
        academy_id=round_.academy_id, user_id=invitation.user_id, actor_id=round_.created_by_id,
        kind=NotificationKind.INVITED, title=round_.title, round_id=invitation.round_id,
    )  # fmt: skip


def _about_release(
    pending: _Pending, release_id: int, kind: NotificationKind, actor_id: int | None,
    *, stakeholders: bool,
) -> None:  # fmt: skip
    """The owners of the release's bricks (and the academy's stakeholders, for its notes)."""
    release = pending.connection.execute(
        select(Release.academy_id, Release.name).where(Release.id == release_id)
    ).first()
    if release is None:
        return
    people = set(
        pending.connection.execute(
            select(Brick.owner_id).where(
                Brick.release_id == release_id, Brick.owner_id.is_not(None)
            )
        ).scalars()
    )
    # The stakeholders get the notes themselves by e-mail (tracker/releases): their
    # notification is for the app only, or they would hear it twice.
    mailed: set[int] = set()
    if stakeholders:
        mailed = set(
            pending.connection.execute(
                select(Membership.user_id).where(
                    Membership.academy_id == release.academy_id,
                    Membership.role == Role.STAKEHOLDER,
                )
            ).scalars()
        )
        people |= mailed
    for user_id in sorted(p for p in people if p is not None):
        pending.add(
            academy_id=release.academy_id, user_id=user_id, actor_id=actor_id, kind=kind,
            title=release.name, release_id=release_id, mailed=user_id in mailed,
        )  # fmt: skip


def _published(notes: ReleaseNotes) -> bool:
    """Whether this flush publishes the notes (published_at set to a new moment)."""
    history = inspect(notes).attrs.published_at.history
    return bool(history.added and history.added[0] is not None)


@event.listens_for(Session, "after_flush")
def _notify_flushed(session: Session, _context: Any) -> None:
    watched = [
        row
        for row in session.new
        if isinstance(row, Activity | Comment | RoundInvitation | Decision)
    ]
    published = [
        row
        for row in (*session.new, *session.dirty)
        if isinstance(row, ReleaseNotes) and _published(row)
    ]
    if not watched and not published:
        return
    pending = _Pending(session, utcnow())
    for notes in published:
        _about_release(
            pending, notes.release_id, NotificationKind.NOTES, notes.published_by_id,
            stakeholders=True,
        )  # fmt: skip
    for row in watched:
        if isinstance(row, Activity):
            _activity(pending, row)
        elif isinstance(row, Comment):
            _comment(pending, row)
        elif isinstance(row, Decision):
            _about_release(
                pending, row.release_id, NotificationKind.DECISION, row.decided_by_id,
                stakeholders=False,
            )  # fmt: skip
        else:
            _invitation(pending, row)
    if pending.rows:
        pending.connection.execute(insert(Notification), pending.rows)
