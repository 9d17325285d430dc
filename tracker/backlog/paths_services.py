"""Learning paths (parcours): create, edit, order, colour, delete; a path's bricks with totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from tracker import rows
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import ActivityKind, Brick, LearningPath
from tracker.backlog.services import record_activity
from tracker.db import unique_name
from tracker.errors import DomainError

# A fixed palette: each colour gives white text a contrast of at least 4.5:1 (WCAG AA), so a
# path badge is readable whichever colour it has. Templates use the CSS class
# `path-colour-<index>` (static/css/brique.css), never an inline style (the CSP forbids it).
PALETTE: tuple[tuple[str, object], ...] = (
    ("#1f4e79", _l("Navy")),
    ("#0b6e4f", _l("Green")),
    ("#6a3d9a", _l("Purple")),
    ("#b3261e", _l("Red")),
    ("#9a5b00", _l("Ochre")),
    ("#00707a", _l("Teal")),
    ("#c2185b", _l("Raspberry")),
    ("#4e5b31", _l("Olive")),
    ("#37474f", _l("Slate")),
    ("#0061c2", _l("Blue")),
)
PALETTE_HEXES: tuple[str, ...] = tuple(hex_ for hex_, _label in PALETTE)


def colour_index(colour: str | None) -> int:
    """The palette index of a stored colour (0, the default navy, for anything unknown)."""
    try:
        return PALETTE_HEXES.index((colour or "").lower())
    except ValueError:
        return 0


def colour_class(colour: str | None) -> str:
    return f"path-colour-{colour_index(colour)}"


@dataclass(frozen=True)
class Totals:
    """What a set of bricks weighs: how many, their points, their learner time."""

    count: int = 0
    points: int = 0
    learner_minutes: int = 0

    @property
    def learner_hours(self) -> float:
        return round(self.learner_minutes / 60, 1)


def totals_of(bricks: list[Brick]) -> Totals:
    return Totals(
        count=len(bricks),
        points=sum(b.estimate_points or 0 for b in bricks),
        learner_minutes=sum(b.learner_minutes or 0 for b in bricks),
    )


def totals_by(
    session: Session,
    academy: Academy,
    column: InstrumentedAttribute[int | None],
    *criteria: ColumnElement[bool],
) -> dict[int, Totals]:
    """The academy's brick totals per path, release or sprint (`column`), in one query; only
    the bricks matching `criteria` if any."""
    rows = session.execute(
        select(
            column,
            func.count(Brick.id),
            func.coalesce(func.sum(Brick.estimate_points), 0),
            func.coalesce(func.sum(Brick.learner_minutes), 0),
        )
        .where(Brick.academy_id == academy.id, column.is_not(None), *criteria)
        .group_by(column)
    ).all()
    return {
        key: Totals(int(count), int(points or 0), int(minutes or 0))
        for key, count, points, minutes in rows
        if key is not None
    }


def bricks_where(session: Session, academy: Academy, *criteria: ColumnElement[bool]) -> list[Brick]:
    """The academy's bricks matching `criteria`, in backlog order, with what a table row shows.

    A fixed number of queries whatever the number of bricks (eager loading, no lazy load).
    """
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, *criteria)
            .options(
                selectinload(Brick.stage),
                selectinload(Brick.owner),
                selectinload(Brick.sprint),
                selectinload(Brick.release),
                selectinload(Brick.learning_path),
            )
            .order_by(Brick.rank, Brick.id)
        )
    )


# -- Learning paths -----------------------------------------------------------------------------


def list_paths(session: Session, academy: Academy) -> list[LearningPath]:
    order = (LearningPath.position, LearningPath.id)
    return rows.all_in(session, LearningPath, *order, academy_id=academy.id)


def get_path(session: Session, academy: Academy, path_id: int) -> LearningPath:
    return rows.get_in(
        session, LearningPath, path_id, _("No such learning path."), academy_id=academy.id
    )


def is_path_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    return rows.name_taken(
        session, LearningPath.name, name, except_id=except_id, academy_id=academy.id
    )


def _check(
    session: Session, academy: Academy, name: str, colour: str, *, except_id: int | None = None
) -> tuple[str, str]:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the learning path a name."), field="name")
    if is_path_name_taken(session, academy, name, except_id=except_id):
        raise DomainError(_("Another learning path already has this name."), field="name")
    colour = colour.strip().lower()
    if colour not in PALETTE_HEXES:
        raise DomainError(_("Choose a colour from the list."), field="colour")
    return name, colour


def create_path(
    session: Session,
    academy: Academy,
    *,
    name: str,
    colour: str = PALETTE_HEXES[0],
    description: str = "",
    target_population: str = "",
) -> LearningPath:
    """A new path, placed last."""
    name, colour = _check(session, academy, name, colour)
    last = session.scalar(
        select(func.max(LearningPath.position)).where(LearningPath.academy_id == academy.id)
    )
    path = LearningPath(
        academy_id=academy.id,
        name=name,
        colour=colour,
        description=description.strip(),
        target_population=target_population.strip(),
        position=(last if last is not None else -1) + 1,
    )
    with unique_name(session, _("Another learning path already has this name.")):
        session.add(path)
    return path


def update_path(
    session: Session,
    path: LearningPath,
    *,
    name: str,
    colour: str,
    description: str,
    target_population: str,
) -> None:
    academy = session.get(Academy, path.academy_id)
    assert academy is not None
    name, colour = _check(session, academy, name, colour, except_id=path.id)
    with unique_name(session, _("Another learning path already has this name.")):
        path.name, path.colour = name, colour
        path.description = description.strip()
        path.target_population = target_population.strip()


def move_path(session: Session, path: LearningPath, offset: int) -> bool:
    """Move a path up (offset -1) or down (+1) in the academy's order; False at either end.

    Positions are renumbered 0..n-1 on the way (a handful of rows), so that gaps or duplicates
    left by deletions never make a move silently do nothing.
    """
    academy = session.get(Academy, path.academy_id)
    assert academy is not None
    return rows.swap_with_neighbour(session, list_paths(session, academy), path, offset)


def delete_path(
    session: Session, path: LearningPath, *, actor: User | None, now: dt.datetime
) -> int:
    """Delete a path; its bricks stay in the backlog without a path. Returns how many.

    Each brick is changed through the ORM so that its version moves on and the change is in
    its activity history, as for any other edit.
    """
    bricks = list(session.scalars(select(Brick).where(Brick.learning_path_id == path.id)))
    for brick in bricks:
        brick.learning_path_id = None
    session.flush()
    for brick in bricks:
        record_activity(
            session,
            brick,
            ActivityKind.EDITED,
            actor=actor,
            changes={"learning_path_id": [path.id, None]},
            at=now,
        )
    session.delete(path)
    session.flush()
    return len(bricks)


def path_bricks(session: Session, path: LearningPath) -> list[Brick]:
    academy = session.get(Academy, path.academy_id)
    assert academy is not None
    return bricks_where(session, academy, Brick.learning_path_id == path.id)
