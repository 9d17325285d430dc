"""Moving a card: the one way a brick changes stage, with the board's rules (the version the
person saw, the WIP limit, the definition of done, the board lock).

The board's drag and drop (move_card) and its "Move…" form (move_brick) move a card to a column
at a position; the brick's edit form changes the stage through edit_brick, which applies the
same entry rules before backlog.services.update_brick. Removing a stage sends its cards on
under the same rules (board.stages.remove_stage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory, WipPolicy
from tracker.auth.models import User
from tracker.auth.permissions import Permission, allows
from tracker.backlog import ranking
from tracker.backlog.models import (
    ActivityKind,
    Brick,
    BrickFormat,
    ChecklistItem,
    ChecklistTemplate,
)
from tracker.backlog.services import apply_changes, emit_brick_event, record_activity
from tracker.cleaning import one_line
from tracker.collation import folded
from tracker.errors import Conflict, DomainError, NotFound
from tracker.webhooks.events import EventType


class WipLimitReached(DomainError):
    """The target stage is full and its policy is `block`."""


class DefinitionOfDoneIncomplete(DomainError):
    """The brick's checklist is not complete and nobody gave (or may give) an override reason."""


class CardGone(NotFound):
    """The card or the column a drop names no longer exists (the board is out of date)."""


@dataclass(frozen=True)
class BoardMove:
    """What move_brick did: where the brick is now, and whether its column is over its limit."""

    moved: bool
    from_stage_id: int
    stage_id: int
    position: int  # 1-based, in its stage's rank order
    version: int
    over_limit: bool  # the column holds more cards than its WIP limit (policy `warn`)


def lock_board(session: Session, academy_id: int) -> None:
    """Serialize the academy's board moves (and backlog reorders): see ranking.lock_backlog."""
    ranking.lock_backlog(session, academy_id)


MANAGERS_NAMED = 3  # a refused override names at most this many managers


# -- The rules -----------------------------------------------------------------------------------


def _may_override_done(session: Session, actor: User | None, academy_id: int) -> bool:
    """The permission engine's answer for the actor's role in the academy."""
    if actor is None:
        return False
    role = session.scalar(
        select(Membership.role).where(
            Membership.academy_id == academy_id, Membership.user_id == actor.id
        )
    )
    academy = session.get(Academy, academy_id)
    return allows(actor, Permission.DONE_OVERRIDE, academy, role=role)


def checklist_template_size(session: Session, academy_id: int, format: BrickFormat) -> int:
    """How many items a new brick of this format gets in its definition of done."""
    return int(
        session.scalar(
            select(func.count(ChecklistTemplate.id)).where(
                ChecklistTemplate.academy_id == academy_id, ChecklistTemplate.format == format
            )
        )
        or 0
    )


def _checklist_progress(session: Session, brick_id: int) -> tuple[int, int]:
    """(ticked, total) of a brick's definition of done, read from the database."""
    done, total = session.execute(
        select(
            func.coalesce(func.sum(case((ChecklistItem.done.is_(True), 1), else_=0)), 0),
            func.count(ChecklistItem.id),
        ).where(ChecklistItem.brick_id == brick_id)
    ).one()
    return int(done), int(total)


def _full(stage: Stage, *, field: str) -> WipLimitReached:
    return WipLimitReached(
        ngettext(
            "%(stage)s is full: its limit is %(num)s card. Move it out first.",
            "%(stage)s is full: its limit is %(num)s cards. Move one out first.",
            stage.wip_limit or 0,
            stage=stage.name,
        ),
        field=field,
    )


def _incomplete(done: int, total: int, *, field: str) -> DefinitionOfDoneIncomplete:
    return DefinitionOfDoneIncomplete(
        ngettext(
            "Its definition of done is not complete (%(done)s of %(num)s item ticked).",
            "Its definition of done is not complete (%(done)s of %(num)s items ticked).",
            total,
            done=done,
        ),
        field=field,
    )


def _check_definition_of_done(
    session: Session, brick: Brick, actor: User | None, override_reason: str | None
) -> str:
    """'' when the checklist is complete, the override reason when a manager gave one."""
    done, total = _checklist_progress(session, brick.id)
    if done >= total:
        return ""
    if not _may_override_done(session, actor, brick.academy_id):
        # Whoever may not override learns who may, rather than a dead end.
        refused = _incomplete(done, total, field="override_reason")
        raise DefinitionOfDoneIncomplete(
            f"{refused} {_who_may_override(session, brick.academy_id)}", field="override_reason"
        )
    reason = one_line(override_reason)
    if not reason:
        raise _incomplete(done, total, field="override_reason")
    if len(reason) > 1000:
        raise DomainError(_("Keep the reason under 1,000 characters."), field="override_reason")
    return reason


def _who_may_override(session: Session, academy_id: int) -> str:
    """ "Only a manager may override it: ask Maya Manager or Paul Roux." """
    names = list(
        session.scalars(
            select(User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.academy_id == academy_id,
                Membership.role == Role.MANAGER,
                User.is_active_account.is_(True),
            )
            .order_by(folded(User.display_name), User.id)
            .limit(MANAGERS_NAMED + 1)
        )
    )
    if not names:
        return _("Only a manager of the academy may override it.")
    shown = names[:MANAGERS_NAMED] if len(names) <= MANAGERS_NAMED else names[: MANAGERS_NAMED - 1]
    if len(names) > MANAGERS_NAMED:
        shown.append(_("another manager"))
    return ngettext(
        "Only a manager of the academy may override it: ask %(names)s.",
        "Only a manager of the academy may override it: ask %(names)s.",
        len(shown),
        names=format_list(shown, style="or", locale=get_locale()),
    )


def check_stage_entry(session: Session, brick: Brick, stage_id: int) -> None:
    """The board's rules for a stage change made elsewhere (the brick's edit form): a blocking
    WIP limit, and a complete definition of done to enter a done stage (overrides only on the
    board, where the reason is asked)."""
    stage = session.get(Stage, stage_id)
    if stage is None:
        return
    count = session.scalar(
        select(func.count(Brick.id)).where(Brick.stage_id == stage.id, Brick.id != brick.id)
    )
    if (
        stage.wip_limit is not None
        and (count or 0) + 1 > stage.wip_limit
        and stage.wip_policy == WipPolicy.BLOCK
    ):
        raise _full(stage, field="stage_id")
    current = session.get(Stage, brick.stage_id)
    entering_done = stage.category == StageCategory.DONE and (
        current is None or current.category != StageCategory.DONE
    )
    if entering_done:
        done, total = _checklist_progress(session, brick.id)
        if done < total:
            raise _incomplete(done, total, field="stage_id")


def check_new_card(
    session: Session, academy: Academy, stage_id: int | None, format: BrickFormat | str
) -> None:
    """The board's rules for a brick created straight in a stage (the create form), under
    the board lock until the transaction ends: a blocking WIP limit, and a done stage only
    for a format whose definition of done is empty (a new brick has nothing ticked)."""
    stage = session.get(Stage, stage_id) if stage_id is not None else None
    if stage is None or stage.academy_id != academy.id:
        return  # create_brick refuses a stage of another academy itself
    lock_board(session, academy.id)
    count = session.scalar(select(func.count(Brick.id)).where(Brick.stage_id == stage.id))
    if (
        stage.wip_limit is not None
        and (count or 0) + 1 > stage.wip_limit
        and stage.wip_policy == WipPolicy.BLOCK
    ):
        raise _full(stage, field="stage_id")
    if stage.category == StageCategory.DONE:
        try:
            items = checklist_template_size(session, academy.id, BrickFormat(format))
        except ValueError:
            return  # create_brick refuses an unknown format itself
        if items:
            raise _incomplete(0, items, field="stage_id")


# -- Moving a card on the board ------------------------------------------------------------------

STALE_CARD = _l("Someone moved or changed this card since you loaded the board.")


def move_brick(
    session: Session,
    brick: Brick,
    stage: Stage,
    position: int,
    *,
    actor: User | None,
    expected_version: int,
    now: dt.datetime,
    override_reason: str | None = None,
) -> BoardMove:
    """Put `brick` in `stage` at `position` (1 = top of the column; past the end = bottom).

    Refuses with Conflict when the brick changed since `expected_version`; with WipLimitReached
    when the stage is full and blocks; with DefinitionOfDoneIncomplete when the brick enters a
    `done` stage with unticked items, unless a manager gives `override_reason` (kept as the
    Activity's note). The brick takes the midpoint rank between its new neighbours in the
    stage (or keeps its rank when it already sits between them, so the backlog order moves as
    little as possible); a move bumps its version and records a MOVED activity at `now`.
    """
    if stage.academy_id != brick.academy_id:
        raise DomainError(_("Choose a stage of this academy."), field="stage")
    if brick.version != expected_version:
        raise Conflict(str(STALE_CARD))
    lock_board(session, brick.academy_id)
    # Read again under the lock: a move that got there first has committed by now.
    current = session.execute(
        select(Brick.version, Brick.stage_id, Brick.rank).where(Brick.id == brick.id)
    ).one_or_none()
    if current is None:
        raise NotFound(_("No such brick."))
    if current.version != expected_version:
        raise Conflict(str(STALE_CARD))
    from_stage_id, rank = int(current.stage_id), int(current.rank)
    changing = stage.id != from_stage_id
    others = select(Brick.id, Brick.rank).where(Brick.stage_id == stage.id, Brick.id != brick.id)
    count = int(session.scalar(select(func.count()).select_from(others.subquery())) or 0)
    over_limit = stage.wip_limit is not None and count + 1 > stage.wip_limit
    note = ""
    if changing:
        note = _entry_note(session, brick, stage, from_stage_id, over_limit, actor, override_reason)
    position = max(1, min(int(position), count + 1))
    new_rank = _rank_at(session, brick, rank, others, position)
    if not changing and new_rank is None:
        return BoardMove(False, from_stage_id, stage.id, position, brick.version, over_limit)

    if changing:
        was_ahead = 0
    else:
        was_ahead = int(
            session.scalar(
                select(func.count(Brick.id)).where(
                    Brick.stage_id == from_stage_id, _ahead_of(rank, brick.id)
                )
            )
            or 0
        )
    return _apply_move(
        session, brick, stage, from_stage_id, rank, new_rank, position, was_ahead,
        over_limit=over_limit, note=note, actor=actor, now=now,
    )  # fmt: skip


def _ahead_of(rank: int, brick_id: int) -> Any:
    """The cards above (rank, id) in rank order."""
    return or_(Brick.rank < rank, and_(Brick.rank == rank, Brick.id < brick_id))


def _behind(rank: int, brick_id: int) -> Any:
    """The cards below (rank, id) in rank order."""
    return or_(Brick.rank > rank, and_(Brick.rank == rank, Brick.id > brick_id))


def _apply_move(
    session: Session,
    brick: Brick,
    stage: Stage,
    from_stage_id: int,
    rank: int,
    new_rank: int | None,
    position: int,
    was_ahead: int,
    *,
    over_limit: bool,
    note: str,
    actor: User | None,
    now: dt.datetime,
) -> BoardMove:
    """Write the move: the brick's stage and rank (one UPDATE, checked against its version),
    the history line and the webhook event. `was_ahead`: the cards above it in its column
    before the move (a move within the column records both positions)."""
    changing = stage.id != from_stage_id
    changes: dict[str, list[Any]] = {}
    if changing:
        changes["stage_id"] = [from_stage_id, stage.id]
    else:
        changes["position"] = [was_ahead + 1, position]
    brick.rank = rank if new_rank is None else new_rank
    if changing:
        brick.stage = stage
        brick.stage_entered_at = now
    brick.updated_at = now
    try:
        session.flush()  # UPDATE ... WHERE version = expected: a concurrent move fails here
    except StaleDataError as error:
        raise Conflict(str(STALE_CARD)) from error
    record_activity(
        session, brick, ActivityKind.MOVED, actor=actor, changes=changes, note=note, at=now
    )
    session.flush()
    emit_brick_event(session, brick, EventType.BRICK_MOVED, now=now, changes=changes)
    return BoardMove(True, from_stage_id, stage.id, position, brick.version, over_limit)


def _entry_note(
    session: Session,
    brick: Brick,
    stage: Stage,
    from_stage_id: int,
    over_limit: bool,
    actor: User | None,
    override_reason: str | None,
) -> str:
    """The rules of entering `stage` from another column: a full column that blocks refuses;
    a done column asks for a complete definition of done, or a manager's reason (the note)."""
    if over_limit and stage.wip_policy == WipPolicy.BLOCK:
        raise _full(stage, field="stage")
    if stage.category != StageCategory.DONE:
        return ""
    from_stage = session.get(Stage, from_stage_id)
    if from_stage is not None and from_stage.category == StageCategory.DONE:
        return ""
    return _check_definition_of_done(session, brick, actor, override_reason)


def _rank_at(
    session: Session,
    brick: Brick,
    rank: int,
    others: Select[int, int],
    position: int,
    known: tuple[Any, Any] | None = None,
) -> int | None:
    """The rank that puts the brick at `position` among `others` (the other cards of the
    column), or None when its current `rank` already does. `known`: the cards (id, rank) just
    above and below that place, when the caller has read them already."""
    ordered = others.order_by(Brick.rank, Brick.id)

    def neighbours() -> tuple[Any, Any]:
        if position == 1:
            rows = session.execute(ordered.limit(1)).all()
            return None, (rows[0] if rows else None)
        rows = session.execute(ordered.offset(position - 2).limit(2)).all()
        return rows[0], (rows[1] if len(rows) > 1 else None)

    previous, following = neighbours() if known is None else known
    here = (rank, brick.id)
    if (previous is None or (previous.rank, previous.id) < here) and (
        following is None or here < (following.rank, following.id)
    ):
        return None
    found = ranking.between(
        previous.rank if previous else None, following.rank if following else None
    )
    if found is None:
        # No integer left between the two neighbours: renumber the academy's ranks once.
        # Renumbering the stage alone would reorder it against the other stages' bricks
        # (the backlog's priority order); the whole backlog keeps its order this way.
        ranking.rebalance(session, brick.academy_id)
        previous, following = neighbours()
        found = ranking.between(
            previous.rank if previous else None, following.rank if following else None
        )
        assert found is not None, "rebalanced neighbours are STEP apart"
    return found


def position_near(
    session: Session,
    stage: Stage,
    brick: Brick,
    *,
    after: Brick | None = None,
    before: Brick | None = None,
) -> int:
    """The position (1 = top) in `stage` just after `after`, or else just before `before`.

    The board names a neighbour rather than a position: on a filtered board, cards the
    filters hide sit between the visible ones, and only the neighbour is right in the whole
    column. Without a neighbour in the stage the brick goes to the bottom.
    """
    others = [Brick.stage_id == stage.id, Brick.id != brick.id]

    def usable(candidate: Brick | None) -> bool:
        return candidate is not None and candidate.stage_id == stage.id and candidate.id != brick.id

    if not usable(after):
        after = None
    neighbour = after if after is not None else (before if usable(before) else None)
    if neighbour is None:
        count = session.scalar(select(func.count(Brick.id)).where(*others))
        return int(count or 0) + 1
    ahead = session.scalar(
        select(func.count(Brick.id)).where(
            *others,
            or_(
                Brick.rank < neighbour.rank,
                and_(Brick.rank == neighbour.rank, Brick.id < neighbour.id),
            ),
        )
    )
    return int(ahead or 0) + (2 if after is not None else 1)


def position_of(session: Session, brick: Brick) -> int:
    """Where the brick is in its column now (1 = top)."""
    ahead = session.scalar(
        select(func.count(Brick.id)).where(
            Brick.stage_id == brick.stage_id,
            or_(Brick.rank < brick.rank, and_(Brick.rank == brick.rank, Brick.id < brick.id)),
        )
    )
    return int(ahead or 0) + 1


# -- Drag and drop: a drop names the card, the column and a neighbour ----------------------------


@dataclass(frozen=True)
class CardDrop:
    """A drop on the board, by brick number: the version the person saw, the column, and
    where in it (after a card, before a card, at a position; none of them: the bottom)."""

    number: int
    version: int
    stage_id: int
    after: int | None = None
    before: int | None = None
    position: int | None = None
    override_reason: str | None = None


@dataclass(frozen=True)
class CardMoved:
    """What a drop did, and the number of cards in the two columns it touched afterwards."""

    brick: Brick
    stage: Stage
    move: BoardMove
    totals: dict[int, int]  # stage id -> cards in it (the WIP count, whatever the filters)


def _card(session: Session, academy: Academy, number: int | None) -> Brick | None:
    if number is None:
        return None
    return session.scalar(
        select(Brick).where(Brick.academy_id == academy.id, Brick.number == number)
    )


class _Card(NamedTuple):
    id: int
    rank: int


@dataclass(frozen=True)
class _Place:
    """Where a drop lands, read in one statement: the other cards of the target column, the
    position and the cards just above and below it, and the counts around the move."""

    others: int  # cards of the target column, the brick aside
    position: int  # 1-based, among them
    previous: _Card | None
    following: _Card | None
    from_cards: int  # cards of the brick's column before the move, the brick included
    was_ahead: int  # cards above the brick in its column before the move


def _place(
    session: Session, brick: Brick, stage: Stage, after: Brick | None, before: Brick | None
) -> _Place:
    """Where a drop after `after`, or else before `before`, or else at the bottom, lands in
    `stage` (position_near and _rank_at's neighbours in one statement)."""
    others = (Brick.stage_id == stage.id, Brick.id != brick.id)

    def count(*where: Any) -> Any:
        return select(func.count(Brick.id)).where(*where).scalar_subquery()

    neighbour = after if after is not None else before
    if neighbour is None:  # the bottom: the side card is the last one
        ahead: Any = count(*others)
        side = select(Brick.id).where(*others).order_by(Brick.rank.desc(), Brick.id.desc())
    elif after is not None:  # the side card is the one below `after`
        ahead = count(*others, _ahead_of(after.rank, after.id))
        side = select(Brick.id).where(*others, _behind(after.rank, after.id))
        side = side.order_by(Brick.rank, Brick.id)
    else:  # the side card is the one above `before`
        assert before is not None
        ahead = count(*others, _ahead_of(before.rank, before.id))
        side = select(Brick.id).where(*others, _ahead_of(before.rank, before.id))
        side = side.order_by(Brick.rank.desc(), Brick.id.desc())
    side = side.limit(1)
    row = session.execute(
        select(
            count(*others).label("others"),
            ahead.label("ahead"),
            side.scalar_subquery().label("side_id"),
            side.with_only_columns(Brick.rank).scalar_subquery().label("side_rank"),
            count(Brick.stage_id == brick.stage_id).label("from_cards"),
            count(Brick.stage_id == brick.stage_id, _ahead_of(brick.rank, brick.id)).label(
                "was_ahead"
            ),
        )
    ).one()
    found = None if row.side_id is None else _Card(int(row.side_id), int(row.side_rank))
    if neighbour is None:
        return _Place(row.others, row.others + 1, found, None, row.from_cards, row.was_ahead)
    near = _Card(neighbour.id, neighbour.rank)
    if after is not None:
        return _Place(row.others, row.ahead + 2, near, found, row.from_cards, row.was_ahead)
    return _Place(row.others, row.ahead + 1, found, near, row.from_cards, row.was_ahead)


def move_card(
    session: Session, academy: Academy, drop: CardDrop, *, actor: User | None, now: dt.datetime
) -> CardMoved:
    """Move the dropped card next to its neighbour (move_brick's rules apply); CardGone when
    the card or the column no longer exists.

    The move path runs all day long, so it reads little: the board lock first, then the card
    and its neighbours in one query (fresh: under the lock, so no second read of the card),
    then where it lands and the columns' counts in one more; then the UPDATE, the history line
    and, after the move, no count again (the totals follow from the counts read)."""
    lock_board(session, academy.id)
    stage = session.get(Stage, drop.stage_id)
    wanted = {drop.number} | (
        {drop.after, drop.before} - {None} if drop.position is None else set()
    )
    cards = {
        b.number: b
        for b in session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.number.in_(sorted(wanted)))
            .execution_options(populate_existing=True)
        )
    }
    brick = cards.get(drop.number)
    if brick is None or stage is None or stage.academy_id != academy.id:
        raise CardGone(_("This card or column no longer exists. Reload the board."))
    if drop.position is not None:
        return _move_to_position(session, brick, stage, drop, actor=actor, now=now)
    if brick.version != drop.version:
        raise Conflict(str(STALE_CARD))

    def usable(number: int | None) -> Brick | None:
        card = cards.get(number) if number is not None else None
        return (
            card if card is not None and card.stage_id == stage.id and card is not brick else None
        )

    after = usable(drop.after)
    before = None if after is not None else usable(drop.before)
    from_stage_id, rank = brick.stage_id, brick.rank
    changing = stage.id != from_stage_id
    place = _place(session, brick, stage, after, before)
    over_limit = stage.wip_limit is not None and place.others + 1 > stage.wip_limit
    note = ""
    if changing:
        note = _entry_note(
            session, brick, stage, from_stage_id, over_limit, actor, drop.override_reason
        )
    others = select(Brick.id, Brick.rank).where(Brick.stage_id == stage.id, Brick.id != brick.id)
    new_rank = _rank_at(
        session, brick, rank, others, place.position, known=(place.previous, place.following)
    )
    totals = {stage.id: place.others + 1}
    if changing:
        totals[from_stage_id] = place.from_cards - 1
    if not changing and new_rank is None:
        move = BoardMove(False, from_stage_id, stage.id, place.position, brick.version, over_limit)
    else:
        move = _apply_move(
            session, brick, stage, from_stage_id, rank, new_rank, place.position,
            place.was_ahead, over_limit=over_limit, note=note, actor=actor, now=now,
        )  # fmt: skip
    # As the columns' GROUP BY answered before: a column left empty is not listed.
    return CardMoved(brick, stage, move, {k: v for k, v in totals.items() if v})


def _move_to_position(
    session: Session,
    brick: Brick,
    stage: Stage,
    drop: CardDrop,
    *,
    actor: User | None,
    now: dt.datetime,
) -> CardMoved:
    """A drop at a numbered position (the board sends neighbours; a client of the JSON may send
    a position): move_brick, then the two columns counted."""
    assert drop.position is not None
    result = move_brick(
        session,
        brick,
        stage,
        drop.position,
        actor=actor,
        expected_version=drop.version,
        now=now,
        override_reason=drop.override_reason,
    )
    totals = session.execute(
        select(Brick.stage_id, func.count(Brick.id))
        .where(Brick.stage_id.in_({result.from_stage_id, result.stage_id}))
        .group_by(Brick.stage_id)
    ).all()
    return CardMoved(brick, stage, result, {int(k): int(v) for k, v in totals})


def card_place(session: Session, academy: Academy, number: int) -> dict[str, int] | None:
    """Where a card really is (after a refused drop): its column, position and version."""
    brick = _card(session, academy, number)
    if brick is None:
        return None
    return {
        "brick": brick.number,
        "stage": brick.stage_id,
        "position": position_of(session, brick),
        "version": brick.version,
    }


# -- The brick's edit form -----------------------------------------------------------------------


def edit_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    now: dt.datetime,
    scope_checked: bool = False,
    **edit: Any,
) -> dict[str, list[Any]]:
    """Save the brick's edit form: a new stage must pass the board's entry rules
    (check_stage_entry, under the board lock like a move), then backlog.services.update_brick
    applies the `edit` (expected_version, objectives, the fields, as it takes them). Returns
    what changed, as update_brick does. `scope_checked`: the sprint's scope rule was applied
    (sprints.scope.edit_brick)."""
    stage_id = edit.get("stage_id")
    if stage_id is not None and stage_id != brick.stage_id:
        lock_board(session, brick.academy_id)
        check_stage_entry(session, brick, stage_id)
    expected_version = edit.pop("expected_version")
    objectives = edit.pop("objectives", None)
    return apply_changes(
        session,
        brick,
        actor=actor,
        expected_version=expected_version,
        objectives=objectives,
        now=now,
        scope_checked=scope_checked,
        values=edit,
    )
