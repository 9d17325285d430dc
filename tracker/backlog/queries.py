"""The backlog list read-model: filters, one page of rows in rank order, totals in SQL.

Whatever the number of bricks, a page costs a fixed number of queries: the rows with their
stage, sprint, release, path and owner in one joined query, the totals in another.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from tracker import rows
from tracker.academies.models import Academy, Stage
from tracker.academies.services import brick_owners, list_stages
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat, LearningPath
from tracker.backlog.paths_services import Totals
from tracker.collation import fold, folded
from tracker.db import contains_text
from tracker.releases.models import Release
from tracker.sprints.models import Sprint

PER_PAGE = 100
# A filter value meaning "not assigned" (ids start at 1, so 0 never names a row).
UNASSIGNED = 0


@dataclass(frozen=True)
class BacklogFilters:
    """What the person asked to see. None: no filter; UNASSIGNED: "none" for a reference."""

    format: BrickFormat | None = None
    learning_path_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    sprint_id: int | None = None
    release_id: int | None = None
    language: str | None = None
    text: str = ""
    # The column the list is sorted by (a key of SORTS; "-" before it: descending); "" is the
    # backlog's own order, by rank. Not a filter: it hides nothing.
    sort: str = ""
    # Who is looking: a condition narrowing the bricks they may see (permissions.brick_scope;
    # a vendor's member), not a filter they chose.
    scope: Any = None

    @property
    def active(self) -> bool:
        return any(
            value not in (None, "")
            for value in (
                self.format,
                self.learning_path_id,
                self.stage_id,
                self.owner_id,
                self.sprint_id,
                self.release_id,
                self.language,
                self.text.strip(),
            )
        )


@dataclass
class BacklogPage:
    rows: list[tuple[Brick, int]]  # (brick, its position in the whole backlog)
    totals: Totals
    page: int
    pages: int
    per_page: int = PER_PAGE

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page


# -- Text search on both engines: case and accents aside (tracker.collation) ---------------------


_KEY_RE = re.compile(r"^(?:([A-Za-z][A-Za-z0-9]*)-)?(\d{1,9})$")


def filter_conditions(academy: Academy, filters: BacklogFilters) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the academy's bricks that match `filters`."""
    conditions: list[ColumnElement[bool]] = [Brick.academy_id == academy.id]
    if filters.scope is not None:
        conditions.append(filters.scope)
    if filters.format is not None:
        conditions.append(Brick.format == filters.format)
    references: Sequence[tuple[Any, int | None]] = (
        (Brick.learning_path_id, filters.learning_path_id),
        (Brick.owner_id, filters.owner_id),
        (Brick.sprint_id, filters.sprint_id),
        (Brick.release_id, filters.release_id),
    )
    for column, value in references:
        if value == UNASSIGNED:
            conditions.append(column.is_(None))
        elif value is not None:
            conditions.append(column == value)
    if filters.stage_id is not None:
        conditions.append(Brick.stage_id == filters.stage_id)
    if filters.language:
        conditions.append(Brick.language == filters.language)
    for word in filters.text.split():
        term = fold(word)
        matches: list[ColumnElement[bool]] = [
            contains_text(folded(Brick.title), term),
            contains_text(folded(Brick.description), term),
        ]
        key = _KEY_RE.match(word)
        if key and (key.group(1) is None or key.group(1).upper() == academy.key_prefix.upper()):
            matches.append(Brick.number == int(key.group(2)))
        conditions.append(or_(*matches))
    return conditions


def backlog_totals(session: Session, academy: Academy, filters: BacklogFilters) -> Totals:
    """Count, points and learner minutes of every brick matching `filters` (one query)."""
    count, points, minutes = session.execute(
        select(
            func.count(Brick.id),
            func.coalesce(func.sum(Brick.estimate_points), 0),
            func.coalesce(func.sum(Brick.learner_minutes), 0),
        ).where(*filter_conditions(academy, filters))
    ).one()
    return Totals(int(count), int(points or 0), int(minutes or 0))


# Columns a person may sort the list by (rank, the priority order, stays the default). Rows
# without a value come last in both directions; ties keep the priority order.
SORTS: dict[str, Any] = {
    "key": Brick.number,
    "title": folded(Brick.title),
    "format": Brick.format,
    "duration": Brick.learner_minutes,
    "points": Brick.estimate_points,
    "stage": Stage.position,
    "owner": folded(User.display_name),
}


def sort_order(sort: str) -> tuple[str, bool] | None:
    """("title", descending?) for "title" or "-title"; None for the priority order."""
    name = sort.removeprefix("-")
    return (name, sort.startswith("-")) if name in SORTS and sort else None


def _sorted_ids(
    session: Session, academy: Academy, filters: BacklogFilters, offset: int, limit: int
) -> list[int]:
    """The page's brick ids in the order of the column chosen (filters.sort)."""
    name, descending = sort_order(filters.sort) or ("key", False)
    column = SORTS[name]
    query = select(Brick.id).where(*filter_conditions(academy, filters))
    if name == "stage":
        query = query.join(Stage, Stage.id == Brick.stage_id)
    elif name == "owner":
        query = query.outerjoin(User, User.id == Brick.owner_id)
    return list(
        session.scalars(
            query.order_by(
                column.is_(None), column.desc() if descending else column, Brick.rank, Brick.id
            )
            .offset(offset)
            .limit(limit)
        )
    )


def _with_positions(academy: Academy) -> Any:
    """Each brick's 1-based position in the whole backlog (a window over the academy)."""
    return (
        select(
            Brick.id.label("brick_id"),
            func.row_number().over(order_by=(Brick.rank, Brick.id)).label("position"),
        )
        .where(Brick.academy_id == academy.id)
        .subquery("positions")
    )


def backlog_page(
    session: Session,
    academy: Academy,
    filters: BacklogFilters,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> BacklogPage:
    """One page of the filtered backlog in priority order, with totals of every matching row."""
    totals = backlog_totals(session, academy, filters)
    pages = max(1, math.ceil(totals.count / per_page))
    page = min(max(1, page), pages)
    first_index = (page - 1) * per_page
    shown = (
        joinedload(Brick.stage),
        joinedload(Brick.sprint),
        joinedload(Brick.release),
        joinedload(Brick.learning_path),
        joinedload(Brick.owner),
    )
    if sort_order(filters.sort) is not None:
        # Sorted by a column: the page's ids in that order, then their rows and positions in
        # the whole backlog (one query more than the priority order).
        ids = _sorted_ids(session, academy, filters, first_index, per_page)
        positions = _with_positions(academy)
        found = {
            brick.id: (brick, int(position))
            for brick, position in session.execute(
                select(Brick, positions.c.position)
                .join(positions, positions.c.brick_id == Brick.id)
                .where(Brick.id.in_(ids))
                .options(*shown)
            ).all()
        }
        rows = [found[id_] for id_ in ids if id_ in found]
        return BacklogPage(rows=rows, totals=totals, page=page, pages=pages, per_page=per_page)
    # The page's ids first (an index scan), then only those rows joined to what they show:
    # joining before the LIMIT would join and sort the whole backlog.
    page_ids = (
        select(Brick.id)
        .where(*filter_conditions(academy, filters))
        .order_by(Brick.rank, Brick.id)
        .offset(first_index)
        .limit(per_page)
        .subquery("page_ids")
    )
    if filters.active:
        # Hidden rows still count: each row's position in the whole backlog, by a window.
        positions = _with_positions(academy)
        result = session.execute(
            select(Brick, positions.c.position)
            .join(page_ids, page_ids.c.id == Brick.id)
            .join(positions, positions.c.brick_id == Brick.id)
            .options(*shown)
            .order_by(Brick.rank, Brick.id)
        ).all()
        rows = [(brick, int(position)) for brick, position in result]
    else:
        bricks = session.scalars(
            select(Brick)
            .join(page_ids, page_ids.c.id == Brick.id)
            .options(*shown)
            .order_by(Brick.rank, Brick.id)
        ).all()
        rows = [(brick, first_index + n) for n, brick in enumerate(bricks, start=1)]
    return BacklogPage(
        rows=rows,
        totals=totals,
        page=page,
        pages=pages,
        per_page=per_page,
    )


def filtered_bricks(session: Session, academy: Academy, filters: BacklogFilters) -> list[Brick]:
    """Every matching brick in backlog order (exports), references eager-loaded."""
    return list(
        session.scalars(
            select(Brick)
            .where(*filter_conditions(academy, filters))
            .options(
                joinedload(Brick.stage),
                joinedload(Brick.sprint),
                joinedload(Brick.release),
                joinedload(Brick.learning_path),
                joinedload(Brick.owner),
            )
            .order_by(Brick.rank, Brick.id)
        )
    )


def page_of(
    session: Session,
    academy: Academy,
    filters: BacklogFilters,
    brick: Brick,
    per_page: int = PER_PAGE,
) -> int:
    """The page of the filtered list where `brick` is now (1 when it is filtered out)."""
    rank = session.scalar(select(Brick.rank).where(Brick.id == brick.id))
    if rank is None:
        return 1
    ahead = session.scalar(
        select(func.count(Brick.id)).where(
            *filter_conditions(academy, filters),
            or_(Brick.rank < rank, and_(Brick.rank == rank, Brick.id < brick.id)),
        )
    )
    return int(ahead or 0) // per_page + 1


# -- What the filters and bulk actions offer -----------------------------------------------------


@dataclass
class BacklogChoices:
    stages: list[Stage]
    paths: list[LearningPath]
    sprints: list[Sprint]
    releases: list[Release]
    owners: list[User]
    languages: list[str]


def backlog_choices(session: Session, academy: Academy, scope: Any = None) -> BacklogChoices:
    """The academy's stages, paths, sprints, releases, possible owners and languages in use.

    With a `scope` (permissions.brick_scope: a vendor's member), the paths, sprints, releases,
    owners and languages are only those on the bricks in that scope: the filters name nothing
    of the bricks the person may not see (the stages are the academy's workflow, shown on every
    brick)."""
    mine: dict[str, Any] = {"academy_id": academy.id}
    if scope is not None:
        return _scoped_choices(session, academy, scope)
    return BacklogChoices(
        stages=list_stages(session, academy),
        paths=rows.all_in(session, LearningPath, LearningPath.position, LearningPath.id, **mine),
        sprints=rows.all_in(
            session, Sprint, Sprint.start_date.is_(None), Sprint.start_date, Sprint.id, **mine
        ),
        releases=rows.all_in(
            session, Release, Release.target_date.is_(None), Release.target_date, Release.id, **mine
        ),
        owners=brick_owners(session, academy),
        languages=_languages(session, [Brick.academy_id == academy.id]),
    )


def _languages(session: Session, conditions: list[Any]) -> list[str]:
    used = session.scalars(select(Brick.language).where(*conditions).distinct())
    return sorted({str(language) for language in used if language} | {"fr", "en"})


def _scoped_choices(session: Session, academy: Academy, scope: Any) -> BacklogChoices:
    """backlog_choices narrowed to the bricks matching `scope` (one query per list)."""
    seen = [Brick.academy_id == academy.id, scope]

    def used(column: Any) -> Any:
        return select(column).where(*seen, column.is_not(None))

    return BacklogChoices(
        stages=list_stages(session, academy),
        paths=list(
            session.scalars(
                select(LearningPath)
                .where(LearningPath.id.in_(used(Brick.learning_path_id)))
                .order_by(LearningPath.position, LearningPath.id)
            )
        ),
        sprints=list(
            session.scalars(
                select(Sprint)
                .where(Sprint.id.in_(used(Brick.sprint_id)))
                .order_by(Sprint.start_date.is_(None), Sprint.start_date, Sprint.id)
            )
        ),
        releases=list(
            session.scalars(
                select(Release)
                .where(Release.id.in_(used(Brick.release_id)))
                .order_by(Release.target_date.is_(None), Release.target_date, Release.id)
            )
        ),
        owners=list(
            session.scalars(
                select(User)
                .where(User.id.in_(used(Brick.owner_id)))
                .order_by(folded(User.display_name), User.id)
            )
        ),
        languages=_languages(session, seen),
    )
