"""Board stages: add, rename, reorder, remove (sending its cards to another stage), WIP limits.

Names are unique per academy whatever their case. A stage with cards never disappears on its
own: its removal names the stage that receives them, each card's move is recorded as an
Activity (the charts count on it), and the receiving stage's rules (a blocking WIP limit, the
definition of done of a done stage) apply as they do to a move on the board.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import rows
from tracker.academies.models import Academy, Stage, StageCategory, WipPolicy
from tracker.academies.services import list_stages
from tracker.auth.models import User
from tracker.backlog.models import Activity, ActivityKind, Brick, ChecklistItem
from tracker.board.services import lock_board
from tracker.cleaning import one_line, one_of
from tracker.db import unique_name
from tracker.errors import DomainError


def get_stage(session: Session, academy: Academy, stage_id: int) -> Stage:
    return rows.get_in(session, Stage, stage_id, _("No such stage."), academy_id=academy.id)


def card_counts(session: Session, academy: Academy) -> dict[int, int]:
    """How many bricks each stage of the academy holds."""
    rows = session.execute(
        select(Brick.stage_id, func.count(Brick.id))
        .where(Brick.academy_id == academy.id)
        .group_by(Brick.stage_id)
    ).all()
    return {int(stage_id): int(count) for stage_id, count in rows}


def is_stage_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    return rows.name_taken(session, Stage.name, name, except_id=except_id, academy_id=academy.id)


def _check(
    session: Session,
    academy: Academy,
    *,
    name: str,
    category: StageCategory | str,
    wip_limit: int | None,
    wip_policy: WipPolicy | str,
    except_id: int | None = None,
) -> tuple[str, StageCategory, WipPolicy]:
    name = one_line(name)
    if not name:
        raise DomainError(_("Give the stage a name."), field="name")
    if len(name) > 60:
        raise DomainError(_("Keep the name under 60 characters."), field="name")
    if is_stage_name_taken(session, academy, name, except_id=except_id):
        raise DomainError(_("Another stage already has this name."), field="name")
    category = one_of(
        StageCategory, category, field="category", message=_("Choose a value from the list.")
    )
    wip_policy = one_of(
        WipPolicy, wip_policy, field="wip_policy", message=_("Choose a value from the list.")
    )
    if wip_limit is not None and wip_limit < 1:
        raise DomainError(_("Use a number of 1 or more, or leave it empty."), field="wip_limit")
    return name, category, wip_policy


def add_stage(
    session: Session,
    academy: Academy,
    *,
    name: str,
    category: StageCategory | str = StageCategory.ACTIVE,
    wip_limit: int | None = None,
    wip_policy: WipPolicy | str = WipPolicy.WARN,
) -> Stage:
    """A new stage, placed last."""
    name, category, wip_policy = _check(
        session, academy, name=name, category=category, wip_limit=wip_limit, wip_policy=wip_policy
    )
    last = session.scalar(select(func.max(Stage.position)).where(Stage.academy_id == academy.id))
    stage = Stage(
        academy_id=academy.id,
        name=name,
        position=(last if last is not None else -1) + 1,
        category=category,
        wip_limit=wip_limit,
        wip_policy=wip_policy,
    )
    with unique_name(session, _("Another stage already has this name.")):
        session.add(stage)
    return stage


def update_stage(
    session: Session,
    stage: Stage,
    *,
    name: str,
    category: StageCategory | str,
    wip_limit: int | None,
    wip_policy: WipPolicy | str,
) -> None:
    """Rename a stage and set its category and WIP limit. A lower limit than the cards it holds
    is allowed: the column shows itself over its limit, and `block` refuses new cards."""
    academy = session.get(Academy, stage.academy_id)
    assert academy is not None
    name, category, wip_policy = _check(
        session,
        academy,
        name=name,
        category=category,
        wip_limit=wip_limit,
        wip_policy=wip_policy,
        except_id=stage.id,
    )
    with unique_name(session, _("Another stage already has this name.")):
        stage.name = name
        stage.category = category
        stage.wip_limit = wip_limit
        stage.wip_policy = wip_policy


def move_stage(session: Session, stage: Stage, offset: int) -> bool:
    """Swap the stage with its neighbour left (-1) or right (+1); False at either end."""
    academy = session.get(Academy, stage.academy_id)
    assert academy is not None
    return rows.swap_with_neighbour(session, list_stages(session, academy), stage, offset)


def remove_stage(
    session: Session,
    stage: Stage,
    *,
    destination: Stage | None,
    actor: User | None,
    now: dt.datetime,
) -> int:
    """Delete a stage; its cards go to `destination` (required when it has any).

    Returns how many cards moved. Each moved brick's version is bumped (a board showing it
    at its old place gets a conflict, not a silent overwrite) and a MOVED activity recorded
    at `now`.
    """
    academy = session.get(Academy, stage.academy_id)
    assert academy is not None
    # Serialized with board moves: no card can enter the stage while it is being removed.
    lock_board(session, academy.id)
    stages = list_stages(session, academy)
    if len(stages) <= 1:
        raise DomainError(_("An academy keeps at least one stage."))
    cards = session.execute(
        select(Brick.id, Brick.number, Brick.sprint_id, Brick.estimate_points).where(
            Brick.stage_id == stage.id
        )
    ).all()
    if cards:
        if destination is None:
            raise DomainError(
                ngettext(
                    "Choose the stage that receives its card.",
                    "Choose the stage that receives its %(num)s cards.",
                    len(cards),
                ),
                field="destination",
            )
        if destination.id == stage.id or destination.academy_id != academy.id:
            raise DomainError(_("Choose another stage of this academy."), field="destination")
        _check_destination(session, stage, destination, len(cards))
        bricks = cast(Table, Brick.__table__)
        session.execute(
            update(bricks)
            .where(bricks.c.stage_id == stage.id)
            .values(
                stage_id=destination.id,
                stage_entered_at=now,
                updated_at=now,
                version=bricks.c.version + 1,
            )
        )
        session.execute(
            insert(Activity),
            [
                {
                    "academy_id": academy.id,
                    "brick_id": card.id,
                    "brick_number": card.number,
                    "actor_id": actor.id if actor else None,
                    "at": now,
                    "kind": ActivityKind.MOVED,
                    "changes": {"stage_id": [stage.id, destination.id]},
                    "stage_id": destination.id,
                    "sprint_id": card.sprint_id,
                    "points": card.estimate_points,
                    "note": "",
                }
                for card in cards
            ],
        )
        # Loaded bricks went stale (stage, version): reload them on next access.
        moved = {card.id for card in cards}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Brick) and obj.id in moved:
                session.expire(obj)
    try:
        with session.begin_nested():
            session.delete(stage)
    except IntegrityError as error:  # a brick created in it meanwhile (creation takes no lock)
        raise DomainError(
            _("A card entered this stage meanwhile. Try again."), field="destination"
        ) from error
    for position, each in enumerate(s for s in stages if s is not stage):
        each.position = position
    session.flush()
    return len(cards)


def _check_destination(session: Session, stage: Stage, destination: Stage, count: int) -> None:
    """The receiving stage's rules, as for a move on the board."""
    if destination.wip_limit is not None and destination.wip_policy == WipPolicy.BLOCK:
        held = session.scalar(select(func.count(Brick.id)).where(Brick.stage_id == destination.id))
        if int(held or 0) + count > destination.wip_limit:
            raise DomainError(
                ngettext(
                    "%(stage)s cannot take them: its limit is %(num)s card.",
                    "%(stage)s cannot take them: its limit is %(num)s cards.",
                    destination.wip_limit,
                    stage=destination.name,
                ),
                field="destination",
            )
    if destination.category == StageCategory.DONE and stage.category != StageCategory.DONE:
        unfinished = session.scalar(
            select(func.count(func.distinct(ChecklistItem.brick_id)))
            .join(Brick, Brick.id == ChecklistItem.brick_id)
            .where(Brick.stage_id == stage.id, ChecklistItem.done.is_(False))
        )
        if unfinished:
            raise DomainError(
                _(
                    "%(num)s of its cards have an incomplete definition of done: "
                    "choose a stage that is not done.",
                    num=int(unfinished),
                ),
                field="destination",
            )
