"""A sprint's scope: the one rule every change of a brick's sprint goes through.

Whatever the path (the sprint's plan, the brick's create and edit forms, the backlog's bulk
bar, an import, the API later), a brick joins or leaves a sprint through change_sprint. When
a sprint that has started is involved (the brick leaves it or joins it), the change needs the
permission to plan sprints and a reason, and it is kept as a scope change beside the brick's
SPRINT_CHANGED Activity: the sprint page's list of scope changes and its burnup (replayed from
the Activity) then tell the same story. backlog.services.update_brick and create_brick refuse
a change of an active sprint's membership made any other way.

The paths' own functions are here too: create_brick and edit_brick (the brick's forms) and
assign_bricks (the bulk bar) split the sprint off the other fields, which keep their rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership
from tracker.auth.models import User
from tracker.auth.permissions import Permission, allows
from tracker.backlog import bulk
from tracker.backlog import services as brick_services
from tracker.backlog.models import Activity, Brick, BrickFormat
from tracker.backlog.services import ObjectiveInput
from tracker.board import services as board_services
from tracker.cleaning import one_line
from tracker.errors import DomainError, Forbidden, NotFound
from tracker.sprints.models import ScopeChangeKind, Sprint, SprintScopeChange, SprintState

REASON_MAX = 1000


def lock_sprint(session: Session, sprint: Sprint) -> SprintState:
    """Serialize the changes of one sprint's scope and state; return its state under the lock.

    FOR NO KEY UPDATE (PostgreSQL): an Activity naming the sprint takes a KEY SHARE lock on
    its row, which this does not wait for (see board.services.lock_board). SQLite
    serializes writers by itself.
    """
    state = session.scalar(
        select(Sprint.state).where(Sprint.id == sprint.id).with_for_update(key_share=True)
    )
    if state is None:
        raise NotFound(_("No such sprint."))
    if state != sprint.state:
        session.refresh(sprint)
    return state


def clean_reason(reason: str | None, *, required: bool, field: str = "reason") -> str:
    reason = one_line(reason)
    if required and not reason:
        raise DomainError(_("The sprint has started: say why its scope changes."), field=field)
    if len(reason) > REASON_MAX:
        raise DomainError(_("Keep the reason under 1,000 characters."), field=field)
    return reason


def may_plan(session: Session, actor: User | None, academy_id: int) -> bool:
    """The permission engine's answer: may the actor plan this academy's sprints?"""
    if actor is None:
        return False
    role = session.scalar(
        select(Membership.role).where(
            Membership.academy_id == academy_id, Membership.user_id == actor.id
        )
    )
    return allows(actor, Permission.SPRINT_MANAGE, session.get(Academy, academy_id), role=role)


def _record(
    session: Session,
    sprint_id: int,
    brick: Brick,
    kind: ScopeChangeKind,
    reason: str,
    actor: User | None,
) -> None:
    """Keep the reason beside the SPRINT_CHANGED Activity update_brick just recorded."""
    activity = session.execute(
        select(Activity.id, Activity.at)
        .where(Activity.brick_id == brick.id)
        .order_by(Activity.id.desc())
        .limit(1)
    ).one()
    session.add(
        SprintScopeChange(
            sprint_id=sprint_id,
            activity_id=activity.id,
            brick_id=brick.id,
            brick_number=brick.number,
            kind=kind,
            points=brick.estimate_points,
            reason=reason,
            actor_id=actor.id if actor else None,
            at=activity.at,
        )
    )


@dataclass(frozen=True)
class ScopeCheck:
    """What the rule found for a change of sprint: the sprints involved (locked) and their
    states, and the reason to keep."""

    sprint_id: int | None
    states: dict[int, SprintState]
    reason: str
    actor: User | None

    def record(self, session: Session, brick: Brick, left: int | None) -> None:
        """Keep a scope change for each started sprint the brick left or joined."""
        if left is not None and self.states.get(left) == SprintState.ACTIVE:
            _record(session, left, brick, ScopeChangeKind.REMOVED, self.reason, self.actor)
        joined = self.sprint_id
        if joined is not None and self.states.get(joined) == SprintState.ACTIVE:
            _record(session, joined, brick, ScopeChangeKind.ADDED, self.reason, self.actor)


def check_change(
    session: Session,
    bricks: Sequence[Brick],
    sprint_id: int | None,
    *,
    actor: User | None,
    reason: str | None,
    sprint_field: str = "sprint_id",
    reason_field: str = "reason",
) -> ScopeCheck:
    """The rule for moving `bricks` into the sprint `sprint_id` (None: into none).

    A brick leaving or joining a sprint that has started changes the scope agreed at its
    start: that needs the permission to plan sprints (Forbidden otherwise) and a reason. A
    closed sprint takes no brick. The sprints involved are locked (in id order) until the
    transaction ends, so that a start or a close waits for the change.
    """
    academy_ids = {brick.academy_id for brick in bricks}
    ids = {brick.sprint_id for brick in bricks if brick.sprint_id != sprint_id} - {None}
    if sprint_id is not None:
        ids.add(sprint_id)
    states: dict[int, SprintState] = {}
    for id_ in sorted(i for i in ids if i is not None):
        sprint = session.get(Sprint, id_)
        if sprint is None or sprint.academy_id not in academy_ids:
            raise DomainError(_("Choose a value from the list."), field=sprint_field)
        states[id_] = lock_sprint(session, sprint)
    if sprint_id is not None and states[sprint_id] == SprintState.CLOSED:
        raise DomainError(
            _("This sprint is closed: its scope no longer changes."), field=sprint_field
        )
    started = any(state == SprintState.ACTIVE for state in states.values())
    if started and not any(may_plan(session, actor, a) for a in academy_ids):
        raise Forbidden(
            _(
                "The sprint has started: only someone who plans sprints (a manager) may "
                "change its scope."
            ),
            field=sprint_field,
        )
    clean = clean_reason(reason, required=started, field=reason_field)
    return ScopeCheck(sprint_id, states, clean, actor)


def change_sprint(
    session: Session,
    bricks: Sequence[Brick],
    sprint_id: int | None,
    *,
    actor: User | None,
    reason: str | None,
    now: dt.datetime,
    sprint_field: str = "sprint_id",
    reason_field: str = "reason",
) -> list[Brick]:
    """Put `bricks` in the sprint `sprint_id` (None: in no sprint), under check_change's
    rule; returns those that moved (each with its SPRINT_CHANGED Activity, and a scope
    change per started sprint it left or joined)."""
    moving = [brick for brick in bricks if brick.sprint_id != sprint_id]
    if not moving:
        return []
    check = check_change(
        session, moving, sprint_id, actor=actor, reason=reason, sprint_field=sprint_field,
        reason_field=reason_field,
    )  # fmt: skip
    for brick in moving:
        left = brick.sprint_id
        brick_services.set_sprint(session, brick, sprint_id, actor=actor, now=now)
        check.record(session, brick, left)
    session.flush()
    return moving


# -- The paths: the brick's forms and the bulk bar -----------------------------------------------


def create_brick(
    session: Session,
    academy: Academy,
    *,
    actor: User | None,
    title: str,
    format: BrickFormat | str,
    objectives: Sequence[ObjectiveInput] = (),
    scope_reason: str | None = None,
    now: dt.datetime,
    **values: Any,
) -> Brick:
    """The create form: a brick created in a stage passes the board's entry rules (under the
    board lock); it is created in no sprint, then joins the one chosen (the scope rule)."""
    sprint_id = values.pop("sprint_id", None)
    board_services.check_new_card(session, academy, values.get("stage_id"), format)
    brick = brick_services.create_brick(
        session, academy, actor=actor, title=title, format=format, objectives=objectives,
        now=now, **values,
    )  # fmt: skip
    if sprint_id is not None:
        change_sprint(
            session, [brick], sprint_id, actor=actor, reason=scope_reason, now=now,
            reason_field="scope_reason",
        )  # fmt: skip
    return brick


def edit_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    expected_version: int,
    objectives: Sequence[ObjectiveInput] | None = None,
    scope_reason: str | None = None,
    now: dt.datetime,
    **values: Any,
) -> dict[str, list[Any]]:
    """The edit form: a new sprint under the scope rule, then every field under the board's
    rules (board.services.edit_brick, which checks the version the person saw), in one
    Activity."""
    sprint_id = values.get("sprint_id", brick.sprint_id)
    left = brick.sprint_id
    check = None
    if values.get("stage_id", brick.stage_id) != brick.stage_id:
        # Locks in one order on every path: the board (the academy row), then sprints.
        board_services.lock_board(session, brick.academy_id)
    if sprint_id != left:
        check = check_change(
            session, [brick], sprint_id, actor=actor, reason=scope_reason,
            reason_field="scope_reason",
        )  # fmt: skip
    changes = board_services.edit_brick(
        session, brick, actor=actor, expected_version=expected_version, objectives=objectives,
        now=now, scope_checked=check is not None, **values,
    )  # fmt: skip
    if check is not None and "sprint_id" in changes:
        check.record(session, brick, left)
        session.flush()
    return changes


def assign_bricks(
    session: Session,
    academy: Academy,
    numbers: Sequence[int],
    *,
    actor: User | None,
    scope_reason: str | None = None,
    now: dt.datetime,
    **changes: int | None,
) -> int:
    """The bulk bar: a new sprint under the scope rule, the other fields as backlog.bulk sets
    them (one Activity per brick); returns how many bricks changed."""
    if "sprint_id" not in changes:
        return bulk.assign_bricks(session, academy, numbers, actor=actor, now=now, **changes)
    unknown = set(changes) - {"sprint_id", *bulk.ASSIGNABLE}
    if unknown:
        raise TypeError(f"not assignable in bulk: {sorted(unknown)}")
    sprint_id = changes["sprint_id"]
    bricks = bulk.selected(session, academy, numbers)
    moving = [brick for brick in bricks if brick.sprint_id != sprint_id]
    check = None
    if moving:
        check = check_change(
            session, moving, sprint_id, actor=actor, reason=scope_reason,
            sprint_field="sprint", reason_field="scope_reason",
        )  # fmt: skip
    changed = 0
    for brick in bricks:
        left = brick.sprint_id
        if brick_services.apply_changes(
            session, brick, actor=actor, expected_version=brick.version, objectives=None,
            now=now, scope_checked=check is not None, values=dict(changes),
        ):  # fmt: skip
            changed += 1
            if check is not None and left != sprint_id:
                check.record(session, brick, left)
    session.flush()
    return changed
