"""Bricks: create, edit with optimistic locking, delete; every change recorded as Activity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker import rows
from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory
from tracker.academies.services import brick_owners, list_stages
from tracker.auth.models import User
from tracker.backlog import ranking
from tracker.backlog.models import (
    Activity,
    ActivityKind,
    BloomLevel,
    Brick,
    BrickFormat,
    ChecklistItem,
    ChecklistTemplate,
    Comment,
    LearningObjective,
    LearningPath,
)
from tracker.collation import folded
from tracker.db import INTEGER_MAX
from tracker.errors import Conflict, DomainError, NotFound
from tracker.releases.models import Release
from tracker.sprints.models import Sprint, SprintState
from tracker.webhooks.events import EventType, emit


def brick_data(brick: Brick) -> dict[str, Any]:
    """What a webhook tells of a brick."""
    return {
        "id": brick.id,
        "key": brick.key,
        "number": brick.number,
        "title": brick.title,
        "format": plain(brick.format),
        "stage_id": brick.stage_id,
        "sprint_id": brick.sprint_id,
        "release_id": brick.release_id,
        "learning_path_id": brick.learning_path_id,
        "owner_id": brick.owner_id,
        "reviewer_id": brick.reviewer_id,
        "version": brick.version,
        "updated_at": brick.updated_at,
    }


def emit_brick_event(
    session: Session,
    brick: Brick,
    event_type: EventType,
    *,
    now: dt.datetime,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    """The webhook event of a change to a brick (in the change's transaction)."""

    def payload() -> dict[str, Any]:
        data: dict[str, Any] = {"academy_id": brick.academy_id, "brick": brick_data(brick)}
        if changes is not None:
            data["changes"] = changes
        return data

    emit(session, brick.academy_id, event_type, payload, now)


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
    "reviewer_id",
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


# Brick numbers are 32-bit integers: a larger one (from a URL) names no brick, and SQLite
# would refuse to bind it.
MAX_BRICK_NUMBER = INTEGER_MAX


def get_brick(session: Session, academy: Academy, number: int) -> Brick:
    if number > MAX_BRICK_NUMBER:
        raise NotFound(_("No such brick."))
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


def get_brick_format(value: str) -> BrickFormat:
    """The format a URL names (the checklists' pages)."""
    try:
        return BrickFormat(value)
    except ValueError:
        raise NotFound(_("This page does not exist, or no longer does.")) from None


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
    at: dt.datetime,
) -> Activity:
    activity = Activity(
        academy_id=brick.academy_id,
        brick_id=brick.id,
        brick_number=brick.number,
        actor_id=actor.id if actor else None,
        at=at,
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
        try:
            values["format"] = BrickFormat(values["format"])
        except ValueError:
            raise DomainError(_("Choose a value from the list."), field="format") from None
    url = values.get("content_url")
    if url:
        values["content_url"] = url = str(url).strip()
        # Only web links: the page shows it as a link, and javascript: or data: would run.
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise DomainError(
                _("Give a web address starting with https:// or http://."), field="content_url"
            )


# A learning objective as services take it: (statement, Bloom level).
ObjectiveInput = tuple[str, BloomLevel | str]


def _clean_objectives(objectives: Sequence[ObjectiveInput]) -> list[tuple[str, BloomLevel]]:
    cleaned = []
    for statement, level in objectives:
        statement = " ".join(statement.split())
        if not statement:
            continue
        if len(statement) > 500:
            raise DomainError(_("Keep each objective under 500 characters."), field="objectives")
        try:
            cleaned.append((statement, BloomLevel(level)))
        except ValueError:
            raise DomainError(_("Choose a level from the list."), field="objectives") from None
    return cleaned


def plain_objectives(objectives: Sequence[LearningObjective]) -> list[dict[str, str]]:
    """Objectives as recorded in the history: [{"statement": ..., "bloom_level": ...}]."""
    return [
        {"statement": objective.statement, "bloom_level": objective.bloom_level.value}
        for objective in objectives
    ]


def _set_objectives(brick: Brick, objectives: list[tuple[str, BloomLevel]]) -> None:
    """Update the rows in place (fewer writes than delete-and-insert), dropping the extras."""
    current = list(brick.objectives)
    for position, (statement, level) in enumerate(objectives):
        if position < len(current):
            objective = current[position]
            objective.statement, objective.bloom_level = statement, level
            objective.position = position
        else:
            brick.objectives.append(
                LearningObjective(position=position, statement=statement, bloom_level=level)
            )
    del brick.objectives[len(objectives) :]


def _check_references(
    session: Session, academy: Academy, values: dict[str, Any], *, vendor_id: int | None = None
) -> None:
    """Every id given must belong to this academy (never trust a posted id). `vendor_id`: the
    vendor the brick is assigned to (whose contacts may review it)."""
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
        role = session.scalar(
            select(Membership.role).where(
                Membership.academy_id == academy.id, Membership.user_id == owner_id
            )
        )
        # A vendor's contact may own a brick (the brick is assigned to their vendor to be theirs
        # to see: tracker/vendors).
        if role not in (Role.MANAGER, Role.DESIGNER, Role.VENDOR):
            raise DomainError(
                _("The owner must be a manager, a designer or a vendor's contact here."),
                field="owner_id",
            )
    reviewer_id = values.get("reviewer_id")
    if reviewer_id is not None and not may_review(session, academy, reviewer_id, vendor_id):
        raise DomainError(
            _(
                "The reviewer must be a manager or a designer here, or a contact of the vendor "
                "the brick is assigned to."
            ),
            field="reviewer_id",
        )


def may_review(session: Session, academy: Academy, user_id: int, vendor_id: int | None) -> bool:
    """Whether this person may review a brick assigned to `vendor_id` (None: to no vendor): a
    manager or designer of the academy, or a contact of that vendor (never of another)."""
    membership = session.execute(
        select(Membership.role, Membership.vendor_id).where(
            Membership.academy_id == academy.id, Membership.user_id == user_id
        )
    ).first()
    if membership is None:
        return False
    role, their_vendor = membership
    if role in (Role.MANAGER, Role.DESIGNER):
        return True
    return role == Role.VENDOR and vendor_id is not None and their_vendor == vendor_id


def brick_reviewers(session: Session, academy: Academy, vendor_id: int | None) -> list[User]:
    """Who may review a brick assigned to `vendor_id`, by name (the edit form's choices)."""
    allowed: ColumnElement[bool] = Membership.role.in_((Role.MANAGER, Role.DESIGNER))
    if vendor_id is not None:
        allowed = or_(
            allowed, and_(Membership.role == Role.VENDOR, Membership.vendor_id == vendor_id)
        )
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.academy_id == academy.id, allowed)
            .order_by(folded(User.display_name), User.id)
        )
    )


def clear_reviews_of(session: Session, user: User) -> None:
    """Erasing a person (auth.services.erase_user's step): they review no brick any more (the
    version moves on, so that an edit form opened before cannot put them back unseen)."""
    session.execute(
        update(Brick)
        .where(Brick.reviewer_id == user.id)
        .values(reviewer_id=None, version=Brick.version + 1)
        .execution_options(synchronize_session="fetch")
    )


def _check_sprint_scope(session: Session, *sprint_ids: int | None) -> None:
    """Refuse a change of a started sprint's membership made outside its scope rule.

    sprints.scope.change_sprint is the one way a brick joins or leaves a sprint that has
    started (a manager, a reason, a scope change kept): it passes scope_checked=True.
    """
    for sprint_id in sprint_ids:
        sprint = session.get(Sprint, sprint_id) if sprint_id is not None else None
        if sprint is not None and sprint.state == SprintState.ACTIVE:
            raise DomainError(
                _(
                    "The sprint %(name)s has started: its scope changes from its plan, with "
                    "a reason.",
                    name=sprint.name,
                ),
                field="sprint_id",
            )


def _checklist_of(session: Session, academy_id: int, format: BrickFormat) -> list[ChecklistItem]:
    """Fresh checklist items from the academy's template for a format."""
    templates = session.scalars(
        select(ChecklistTemplate)
        .where(ChecklistTemplate.academy_id == academy_id, ChecklistTemplate.format == format)
        .order_by(ChecklistTemplate.position, ChecklistTemplate.id)
    ).all()
    return [
        ChecklistItem(position=template.position, label=template.label) for template in templates
    ]


def create_brick(
    session: Session,
    academy: Academy,
    *,
    actor: User | None,
    title: str,
    format: BrickFormat | str,
    objectives: Sequence[ObjectiveInput] = (),
    improves: Brick | None = None,
    now: dt.datetime,
    **values: Any,
) -> Brick:
    """Create a brick at the bottom of the backlog, with its format's definition of done
    (`improves`: the brick it is an improvement of, tracker/learning/improvements.py)."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown brick fields: {sorted(unknown)}")
    values = {**values, "title": title.strip(), "format": format}
    _check_values(values)
    _check_references(session, academy, values)
    _check_sprint_scope(session, values.get("sprint_id"))
    cleaned_objectives = _clean_objectives(objectives)
    if values.get("stage_id") is None:
        values["stage_id"] = first_stage(session, academy).id
    number = allocate_brick_number(session, academy)  # also locks the academy row
    ranking.lock_backlog(session, academy.id)
    brick = Brick(
        academy_id=academy.id,
        number=number,
        rank=ranking.rank_at_end(session, academy.id),
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        improves_id=improves.id if improves is not None else None,
        **values,
    )
    brick.academy = academy
    brick.checklist = _checklist_of(session, academy.id, brick.format)
    _set_objectives(brick, cleaned_objectives)
    session.add(brick)
    session.flush()
    changes: dict[str, list[Any]] = {
        field: [None, plain(getattr(brick, field))]
        for field in EDITABLE_FIELDS
        if getattr(brick, field) not in (None, "")
    }
    if cleaned_objectives:
        changes["objectives"] = [None, plain_objectives(brick.objectives)]
    record_activity(session, brick, ActivityKind.CREATED, actor=actor, changes=changes, at=now)
    session.flush()
    emit_brick_event(session, brick, EventType.BRICK_CREATED, now=now)
    return brick


def update_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    expected_version: int,
    objectives: Sequence[ObjectiveInput] | None = None,
    now: dt.datetime,
    **values: Any,
) -> dict[str, list[Any]]:
    """Apply the changed fields; refuse with Conflict when someone saved since `expected_version`.

    `objectives`, when given, replaces the brick's learning objectives (in that order); a
    change of objectives bumps the version like any field. Returns what changed,
    {field: [old, new]}, as recorded in the activity history.

    A plain edit: a person's change of stage goes through the board's rules first
    (board.services.edit_brick, or move_brick on the board); the other callers (bulk
    assignment, sprint planning and closing, the demo) never change the stage. Likewise a
    brick joins or leaves a sprint that has started only through sprints.scope.change_sprint
    (which calls set_sprint): a change of such a sprint's membership here is refused.
    """
    return apply_changes(
        session,
        brick,
        actor=actor,
        expected_version=expected_version,
        objectives=objectives,
        now=now,
        scope_checked=False,
        values=values,
    )


def set_sprint(
    session: Session, brick: Brick, sprint_id: int | None, *, actor: User | None, now: dt.datetime
) -> dict[str, list[Any]]:
    """Put the brick in a sprint (None: in none), whatever its state: only the scope rule
    (sprints.scope.change_sprint) calls this, after its checks."""
    return apply_changes(
        session,
        brick,
        actor=actor,
        expected_version=brick.version,
        objectives=None,
        now=now,
        scope_checked=True,
        values={"sprint_id": sprint_id},
    )


def apply_changes(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    expected_version: int,
    objectives: Sequence[ObjectiveInput] | None,
    now: dt.datetime,
    scope_checked: bool,
    values: dict[str, Any],
) -> dict[str, list[Any]]:
    """update_brick's work. `scope_checked`: the caller applied the sprint's scope rule
    (sprints.scope, alone to pass True); else a started sprint's membership is refused."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown brick fields: {sorted(unknown)}")
    if brick.version != expected_version:
        raise Conflict(_("Someone else saved this brick while you were editing it."))
    _check_values(values)
    # Only new values are checked: a brick keeps an owner who has since changed role.
    changed = {k: v for k, v in values.items() if plain(getattr(brick, k)) != plain(v)}
    _check_references(session, brick.academy, changed, vendor_id=brick.vendor_id)
    if "sprint_id" in changed and not scope_checked:
        _check_sprint_scope(session, brick.sprint_id, changed["sprint_id"])
    cleaned_objectives = None if objectives is None else _clean_objectives(objectives)
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(brick, field)
        if plain(old) != plain(new):
            changes[field] = [plain(old), plain(new)]
            setattr(brick, field, new)
    if cleaned_objectives is not None:
        old_objectives = plain_objectives(brick.objectives)
        new_objectives = [
            {"statement": statement, "bloom_level": level.value}
            for statement, level in cleaned_objectives
        ]
        if old_objectives != new_objectives:
            changes["objectives"] = [old_objectives, new_objectives]
            _set_objectives(brick, cleaned_objectives)
    if not changes:
        return {}
    if "format" in changes and not any(item.done for item in brick.checklist):
        # Nothing ticked yet: the brick takes the definition of done of its new format.
        old_labels = [item.label for item in brick.checklist]
        brick.checklist = _checklist_of(session, brick.academy_id, brick.format)
        new_labels = [item.label for item in brick.checklist]
        if old_labels != new_labels:
            changes["checklist"] = [old_labels, new_labels]
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
    event = EventType.BRICK_MOVED if "stage_id" in changes else EventType.BRICK_UPDATED
    emit_brick_event(session, brick, event, now=now, changes=changes)
    return changes


def delete_brick(session: Session, brick: Brick, *, actor: User | None, now: dt.datetime) -> None:
    """Delete a brick; its activity stays (with the number) so that charts keep their past.

    A brick of a sprint that has started leaves it first, through its scope rule (a reason).
    """
    sprint = session.get(Sprint, brick.sprint_id) if brick.sprint_id is not None else None
    if sprint is not None and sprint.state == SprintState.ACTIVE:
        raise DomainError(
            _(
                "%(key)s is in the sprint %(name)s, which has started: remove it from the "
                "sprint first, with a reason.",
                key=brick.key,
                name=sprint.name,
            )
        )
    record_activity(
        session,
        brick,
        ActivityKind.DELETED,
        actor=actor,
        changes={"title": [brick.title, None]},
        at=now,
    )
    session.flush()
    emit_brick_event(session, brick, EventType.BRICK_DELETED, now=now)
    session.delete(brick)
    session.flush()


# -- The brick page: comments, history, choices --------------------------------------------------


def add_comment(
    session: Session, brick: Brick, *, author: User, body: str, now: dt.datetime
) -> Comment:
    """A Markdown comment on a brick (rendered sanitized), recorded in the history."""
    body = body.strip()
    if not body:
        raise DomainError(_("Write something first."), field="body")
    if len(body) > 20000:
        raise DomainError(_("Keep it under 20,000 characters."), field="body")
    comment = Comment(brick_id=brick.id, author_id=author.id, body=body, created_at=now)
    session.add(comment)
    session.flush()
    record_activity(
        session,
        brick,
        ActivityKind.COMMENTED,
        actor=author,
        changes={"comment": [None, comment.id]},
        at=comment.created_at,
    )
    session.flush()
    return comment


def load_brick_page(session: Session, academy: Academy, number: int) -> Brick:
    """A brick with everything its page shows, in a fixed number of queries."""
    brick = session.scalar(
        select(Brick)
        .where(Brick.academy_id == academy.id, Brick.number == number)
        .options(
            joinedload(Brick.stage),
            joinedload(Brick.sprint),
            joinedload(Brick.release),
            joinedload(Brick.learning_path),
            joinedload(Brick.owner),
            joinedload(Brick.reviewer),
            joinedload(Brick.created_by),
            selectinload(Brick.objectives),
            selectinload(Brick.checklist),
        )
    )
    if brick is None:
        raise NotFound(_("No such brick."))
    return brick


def brick_comments(session: Session, brick: Brick) -> list[Comment]:
    oldest_first = (Comment.created_at, Comment.id)
    return rows.all_in(
        session, Comment, *oldest_first, load=[joinedload(Comment.author)], brick_id=brick.id
    )


def brick_history(session: Session, brick: Brick, *, limit: int | None = None) -> list[Activity]:
    """The brick's events, newest first, with their actor (the latest `limit` ones)."""
    query = (
        select(Activity)
        .where(Activity.brick_id == brick.id)
        .options(joinedload(Activity.actor))
        .order_by(Activity.at.desc(), Activity.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).all())


def count_brick_history(session: Session, brick: Brick) -> int:
    return session.scalar(select(func.count(Activity.id)).where(Activity.brick_id == brick.id)) or 0


@dataclass
class NameBook:
    """Names for the ids an academy's history mentions (deleted ones are simply missing)."""

    stage_id: dict[int, str] = dataclasses.field(default_factory=dict)
    sprint_id: dict[int, str] = dataclasses.field(default_factory=dict)
    release_id: dict[int, str] = dataclasses.field(default_factory=dict)
    learning_path_id: dict[int, str] = dataclasses.field(default_factory=dict)
    owner_id: dict[int, str] = dataclasses.field(default_factory=dict)


def name_book(session: Session, academy: Academy, user_ids: set[int]) -> NameBook:
    """One query per kind of thing, whatever the length of the history."""
    book = NameBook()
    for attribute, model in (
        ("stage_id", Stage),
        ("sprint_id", Sprint),
        ("release_id", Release),
        ("learning_path_id", LearningPath),
    ):
        rows = session.execute(
            select(model.id, model.name).where(model.academy_id == academy.id)
        ).all()
        setattr(book, attribute, {row[0]: row[1] for row in rows})
    users = session.execute(
        select(User.id, User.display_name).where(User.id.in_(sorted(user_ids)))
    ).all()
    book.owner_id = {row[0]: row[1] for row in users}
    return book


def _user_ids_in(events: list[Activity], brick: Brick) -> set[int]:
    ids = {item.done_by_id for item in brick.checklist if item.done_by_id}
    for event in events:
        for field in ("owner_id", "reviewer_id"):
            pair = (event.changes or {}).get(field)
            if isinstance(pair, list):
                ids.update(value for value in pair if isinstance(value, int))
    return ids


@dataclass
class BrickPage:
    """What a brick's page shows: the brick, its comments, its latest events (`history_total`
    in all) and the names those events mention."""

    brick: Brick
    comments: list[Comment]
    events: list[Activity]
    history_total: int
    book: NameBook


def brick_page(
    session: Session, academy: Academy, number: int, *, history_limit: int | None
) -> BrickPage:
    """A fixed number of queries, whatever the length of the history."""
    brick = load_brick_page(session, academy, number)
    comments = brick_comments(session, brick)
    events = brick_history(session, brick, limit=history_limit)
    book = name_book(session, academy, _user_ids_in(events, brick))
    return BrickPage(brick, comments, events, count_brick_history(session, brick), book)


@dataclass
class BrickChoices:
    """What a brick form may pick, for this academy only."""

    stages: list[Stage]
    sprints: list[Any]
    releases: list[Any]
    learning_paths: list[LearningPath]
    owners: list[User]
    reviewers: list[User]


def brick_choices(
    session: Session,
    academy: Academy,
    *,
    vendor_id: int | None = None,
    seen_by_vendor: int | None = None,
) -> BrickChoices:
    """`vendor_id`: the vendor the brick is assigned to (its contacts may review it);
    `seen_by_vendor`: the viewer's vendor when they are a vendor's member (owners offered: the
    academy's team and their colleagues)."""
    mine: dict[str, Any] = {"academy_id": academy.id}
    return BrickChoices(
        stages=list_stages(session, academy),
        sprints=rows.all_in(session, Sprint, Sprint.start_date.desc(), Sprint.id.desc(), **mine),
        releases=rows.all_in(
            session, Release, Release.target_date.desc(), Release.id.desc(), **mine
        ),
        learning_paths=rows.all_in(
            session, LearningPath, LearningPath.position, LearningPath.name, **mine
        ),
        owners=brick_owners(session, academy, seen_by_vendor=seen_by_vendor),
        reviewers=brick_reviewers(session, academy, vendor_id),
    )
