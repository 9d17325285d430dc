"""Triage of feedback items: the board by status, moving an item, marking duplicates, turning an
item into a backlog brick (linked both ways), and the small history of who did what.

An item's reporter is never shown here: in anonymous rounds it is not even stored, and in
named rounds the board is about the content, not the person (exports carry the name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat
from tracker.backlog.services import create_brick
from tracker.errors import DomainError, NotFound
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    ItemKind,
    ItemStatus,
    Severity,
)
from tracker.feedback.triage_models import FeedbackItemEvent
from tracker.history import record

# Board columns, left to right.
STATUSES: tuple[ItemStatus, ...] = (
    ItemStatus.NEW,
    ItemStatus.ACCEPTED,
    ItemStatus.PLANNED,
    ItemStatus.DONE,
    ItemStatus.DECLINED,
    ItemStatus.DUPLICATE,
)


@dataclass(frozen=True)
class ItemFilters:
    kind: ItemKind | None = None
    severity: Severity | None = None
    brick_id: int | None = None


def get_item(session: Session, round_: FeedbackRound, item_id: int) -> FeedbackItem:
    item = session.scalar(
        select(FeedbackItem).where(FeedbackItem.id == item_id, FeedbackItem.round_id == round_.id)
    )
    if item is None:
        raise NotFound(_("No such feedback item."))
    return item


def list_items(
    session: Session, round_: FeedbackRound, filters: ItemFilters = ItemFilters()
) -> list[FeedbackItem]:
    """The round's items, blocking first then newest: one query."""
    statement = select(FeedbackItem).where(FeedbackItem.round_id == round_.id)
    if filters.kind is not None:
        statement = statement.where(FeedbackItem.kind == filters.kind)
    if filters.severity is not None:
        statement = statement.where(FeedbackItem.severity == filters.severity)
    if filters.brick_id is not None:
        statement = statement.where(FeedbackItem.brick_id == filters.brick_id)
    items = list(session.scalars(statement.order_by(FeedbackItem.id.desc())))
    order = {severity: rank for rank, severity in enumerate(Severity)}
    return sorted(items, key=lambda item: order[item.severity])


def board(items: Sequence[FeedbackItem]) -> dict[ItemStatus, list[FeedbackItem]]:
    columns: dict[ItemStatus, list[FeedbackItem]] = {status: [] for status in STATUSES}
    for item in items:
        columns[item.status].append(item)
    return columns


def bricks_by_id(session: Session, ids: set[int]) -> dict[int, Brick]:
    if not ids:
        return {}
    bricks = session.scalars(
        select(Brick).where(Brick.id.in_(ids)).options(joinedload(Brick.academy))  # brick.key
    )
    return {brick.id: brick for brick in bricks}


def item_history(
    session: Session, items: Sequence[FeedbackItem]
) -> dict[int, list[FeedbackItemEvent]]:
    """Each item's triage history, oldest first, with the actors: one query (plus one for
    the actors)."""
    if not items:
        return {}
    history: dict[int, list[FeedbackItemEvent]] = {item.id: [] for item in items}
    events = session.scalars(
        select(FeedbackItemEvent)
        .where(FeedbackItemEvent.item_id.in_(list(history)))
        .options(selectinload(FeedbackItemEvent.actor))
        .order_by(FeedbackItemEvent.at, FeedbackItemEvent.id)
    )
    for event in events:
        history[event.item_id].append(event)
    return history


def _record(
    session: Session,
    item: FeedbackItem,
    *,
    actor: User | None,
    from_status: ItemStatus | None,
    to_status: ItemStatus | None,
    note: str = "",
    now: dt.datetime,
) -> None:
    item.updated_at = now
    record(
        session, FeedbackItemEvent, actor=actor, at=now, item_id=item.id,
        from_status=from_status, to_status=to_status, note=note[:255],
    )  # fmt: skip


def move_item(
    session: Session,
    item: FeedbackItem,
    status: ItemStatus | str,
    *,
    actor: User | None,
    duplicate_of_id: int | None = None,
    now: dt.datetime,
) -> None:
    """Move an item to another column. `duplicate` needs the original (another item of the same
    round that is not itself a duplicate of this one); any other status forgets the original."""
    try:
        status = ItemStatus(status)
    except ValueError as error:
        raise DomainError(_("Choose a status."), field="status") from error
    original: FeedbackItem | None = None
    if status == ItemStatus.DUPLICATE:
        if duplicate_of_id is None:
            raise DomainError(_("Choose the item this one repeats."), field="duplicate_of")
        if duplicate_of_id == item.id:
            raise DomainError(_("An item cannot repeat itself."), field="duplicate_of")
        original = session.get(FeedbackItem, duplicate_of_id)
        if original is None or original.round_id != item.round_id:
            raise DomainError(_("Choose an item of the same round."), field="duplicate_of")
        # Follow the chain: marking A a duplicate of B when B repeats A would loop.
        seen = {item.id}
        cursor: FeedbackItem | None = original
        while cursor is not None and cursor.duplicate_of_id is not None:
            if cursor.duplicate_of_id in seen:
                raise DomainError(
                    _("That item is already marked as a duplicate of this one."),
                    field="duplicate_of",
                )
            seen.add(cursor.id)
            cursor = session.get(FeedbackItem, cursor.duplicate_of_id)
    new_duplicate_of = original.id if original is not None else None
    if item.status == status and item.duplicate_of_id == new_duplicate_of:
        return
    previous = item.status
    item.status = status
    item.duplicate_of_id = new_duplicate_of
    _record(
        session,
        item,
        actor=actor,
        from_status=previous,
        to_status=status,
        note=f"#{original.id}" if original is not None else "",
        now=now,
    )
    session.flush()


def brick_description(item: FeedbackItem, *, round_: FeedbackRound, item_url: str) -> str:
    """The new brick's Markdown description: the item quoted, and a link back to it."""
    quoted = [item.title, *([""] if item.description else []), *item.description.splitlines()]
    lines = [
        _(
            "From feedback item #%(number)s of the round %(round)s:",
            number=item.id,
            round=round_.title,
        ),
        "",
        *[f"> {line}".rstrip() for line in quoted],
        "",
    ]
    if item.location:
        lines += [_("Where: %(location)s", location=item.location), ""]
    lines.append(f"[{_('See the feedback item')}]({item_url})")
    return "\n".join(lines)


def create_brick_from_item(
    session: Session,
    academy: Academy,
    round_: FeedbackRound,
    item: FeedbackItem,
    *,
    actor: User | None,
    title: str,
    format: BrickFormat | str,
    item_url: str,
    now: dt.datetime,
) -> Brick:
    """Turn an item into a backlog brick: the brick quotes the item and links back to it, the
    item remembers the brick; an item still new or accepted becomes planned."""
    if item.created_brick_id is not None:
        raise DomainError(_("This item has already been turned into a brick."))
    try:
        format = BrickFormat(format)
    except ValueError as error:
        raise DomainError(_("Choose a format."), field="format") from error
    brick = create_brick(
        session,
        academy,
        actor=actor,
        title=title,
        format=format,
        description=brick_description(item, round_=round_, item_url=item_url),
        now=now,
    )
    item.created_brick_id = brick.id
    previous = item.status
    if item.status in (ItemStatus.NEW, ItemStatus.ACCEPTED):
        item.status = ItemStatus.PLANNED
    _record(
        session,
        item,
        actor=actor,
        from_status=previous,
        to_status=item.status,
        note=brick.key,
        now=now,
    )
    session.flush()
    return brick


def items_of_brick(session: Session, brick: Brick) -> list[tuple[FeedbackItem, FeedbackRound]]:
    """The feedback items a brick was created from (the brick page links back): one query."""
    rows = session.execute(
        select(FeedbackItem, FeedbackRound)
        .join(FeedbackRound, FeedbackRound.id == FeedbackItem.round_id)
        .where(FeedbackItem.created_brick_id == brick.id)
        .order_by(FeedbackItem.id)
    )
    return [(item, round_) for item, round_ in rows]
