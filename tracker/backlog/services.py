"""Bricks: create, edit with optimistic locking, delete; every change recorded as Activity."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.auth.models import User
from tracker.backlog import ranking
from tracker.backlog.models import (
    Activity,
    ActivityKind,
    Brick,
    BrickFormat,
    ChecklistItem,
    ChecklistTemplate,
)
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError, NotFound

# Fields a brick form edits, in display order. Relationship fields are edited by their id.
EDITABLE_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "description",
    "format",
    "learner_minutes",
    "estimate_points",
    "stage_id",
    "sprint_id",
    "release_id",
    "learning_path_id",
    "owner_id",
    "vendor",
    "target_audience",
    "language",
    "prerequisites",
    "content_url",
)

# Which activity kind a change of these fields is recorded as (others: EDITED).
_KIND_OF_FIELD = {
    "stage_id": ActivityKind.MOVED,
    "sprint_id": ActivityKind.SPRINT_CHANGED,
    "release_id": ActivityKind.RELEASE_CHANGED,
}


def plain(value: Any) -> Any:
    """A JSON-ready form of a field value, for Activity.changes."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def get_brick(session: Session, academy: Academy, number: int) -> Brick:
    brick = session.scalar(
        select(Brick).where(Brick.academy_id == academy.id, Brick.number == number)
    )
    if brick is None:
        raise NotFound(_("No such brick."))
    return brick


def allocate_brick_number(session: Session, academy: Academy) -> int:
    """The next key number, atomically: concurrent creations never get the same one."""
    number = session.execute(
        update(Academy)
        .where(Academy.id == academy.id)
        .values(brick_counter=Academy.brick_counter + 1)
        .returning(Academy.brick_counter)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(number)


def first_stage(session: Session, academy: Academy) -> Stage:
    stages = session.scalars(
        select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
    ).all()
    if not stages:
        raise DomainError(_("This academy has no board stage."))
    for stage in stages:
        if stage.category == StageCategory.BACKLOG:
            return stage
    return stages[0]


def record_activity(
    session: Session,
    brick: Brick,
    kind: ActivityKind,
    *,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Activity:
    activity = Activity(
        academy_id=brick.academy_id,
        brick_id=brick.id,
        brick_number=brick.number,
        actor_id=actor.id if actor else None,
        at=at or utcnow(),
        kind=kind,
        changes=changes or {},
        stage_id=brick.stage_id,
        sprint_id=brick.sprint_id,
        points=brick.estimate_points,
        note=note,
    )
    session.add(activity)
    return activity


def _check_values(values: dict[str, Any]) -> None:
    title = values.get("title")
    if title is not None and not str(title).strip():
        raise DomainError(_("Give the brick a title."), field="title")
    for field in ("learner_minutes", "estimate_points"):
        value = values.get(field)
        if value is not None and value < 0:
            raise DomainError(_("Use a number of zero or more."), field=field)
    if "format" in values and not isinstance(values["format"], BrickFormat):
        values["format"] = BrickFormat(values["format"])


def _check_references(session: Session, academy: Academy, values: dict[str, Any]) -> None:
    """Every id given must belong to this academy (never trust a posted id)."""
    from tracker.backlog.models import LearningPath
    from tracker.releases.models import Release
    from tracker.sprints.models import Sprint

    models: dict[str, Any] = {
        "stage_id": Stage,
        "sprint_id": Sprint,
        "release_id": Release,
        "learning_path_id": LearningPath,
    }
    for field, model in models.items():
        value = values.get(field)
        if value is None:
            continue
        found = session.get(model, value)
        if found is None or found.academy_id != academy.id:
            raise DomainError(_("Choose a value from the list."), field=field)
    owner_id = values.get("owner_id")
    if owner_id is not None:
        from tracker.academies.models import Membership, Role

        role = session.scalar(
            select(Membership.role).where(
                Membership.academy_id == academy.id, Membership.user_id == owner_id
            )
        )
        if role not in (Role.MANAGER, Role.DESIGNER):
            raise DomainError(_("The owner must be a manager or designer here."), field="owner_id")


def create_brick(
    session: Session,
    academy: Academy,
    *,
    actor: User | None,
    title: str,
    format: BrickFormat | str,
    **values: Any,
) -> Brick:
    """Create a brick at the bottom of the backlog, with its format's definition of done."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown brick fields: {sorted(unknown)}")
    values = {**values, "title": title.strip(), "format": format}
    _check_values(values)
    _check_references(session, academy, values)
    if values.get("stage_id") is None:
        values["stage_id"] = first_stage(session, academy).id
    now = utcnow()
    brick = Brick(
        academy_id=academy.id,
        number=allocate_brick_number(session, academy),
        rank=ranking.rank_at_end(session, academy.id),
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        **values,
    )
    brick.academy = academy
    templates = session.scalars(
        select(ChecklistTemplate)
        .where(
            ChecklistTemplate.academy_id == academy.id,
            ChecklistTemplate.format == brick.format,
        )
        .order_by(ChecklistTemplate.position)
    ).all()
    brick.checklist = [
        ChecklistItem(position=template.position, label=template.label) for template in templates
    ]
    session.add(brick)
    session.flush()
    record_activity(
        session,
        brick,
        ActivityKind.CREATED,
        actor=actor,
        changes={
            field: [None, plain(getattr(brick, field))]
            for field in EDITABLE_FIELDS
            if getattr(brick, field) not in (None, "")
        },
        at=now,
    )
    session.flush()
    return brick


def update_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    expected_version: int,
    **values: Any,
) -> dict[str, list[Any]]:
    """Apply the changed fields; refuse with Conflict when someone saved since `expected_version`.

    Returns what changed, {field: [old, new]}, as recorded in the activity history.
    """
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown brick fields: {sorted(unknown)}")
    if brick.version != expected_version:
        raise Conflict(_("Someone else saved this brick while you were editing it."))
    _check_values(values)
    _check_references(session, brick.academy, values)
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(brick, field)
        if plain(old) != plain(new):
            changes[field] = [plain(old), plain(new)]
            setattr(brick, field, new)
    if not changes:
        return {}
    now = utcnow()
    brick.updated_at = now
    if "stage_id" in changes:
        brick.stage_entered_at = now
    try:
        session.flush()  # the version column makes a concurrent save fail here
    except StaleDataError as error:
        raise Conflict(_("Someone else saved this brick while you were editing it.")) from error
    kinds = {_KIND_OF_FIELD.get(field, ActivityKind.EDITED) for field in changes}
    kind = kinds.pop() if len(kinds) == 1 else ActivityKind.EDITED
    record_activity(session, brick, kind, actor=actor, changes=changes, at=now)
    session.flush()
    return changes


def delete_brick(session: Session, brick: Brick, *, actor: User | None) -> None:
    """Delete a brick; its activity stays (with the number) so that charts keep their past."""
    record_activity(
        session,
        brick,
        ActivityKind.DELETED,
        actor=actor,
        changes={"title": [brick.title, None]},
    )
    session.flush()
    session.delete(brick)
    session.flush()
