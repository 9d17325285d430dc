"""The board's read model: columns of cards with their totals, in a fixed number of queries.

A card is a plain row (no ORM object): the board of a large academy shows thousands, and the
rows double as the key of the rendered board's cache (see board.views). Done columns
show only their most recently finished cards unless asked for all, so that a board with
thousands of finished bricks stays usable.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    and_,
    case,
    func,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from tracker import rows
from tracker.academies.models import Academy, Stage, StageCategory
from tracker.academies.services import brick_owners
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat, ChecklistItem, LearningPath
from tracker.backlog.paths_services import list_paths
from tracker.sprints.models import Sprint, SprintState

# Done columns show this many cards (the most recently finished) unless all are asked for.
DONE_SHOWN = 50
NONE = 0  # "not assigned" (no sprint, nobody, no path) in a filter


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows. None: no filter; NONE: the bricks without one."""

    sprint_id: int | None = None
    owner_id: int | None = None
    format: BrickFormat | None = None
    learning_path_id: int | None = None
    all_done: bool = False  # every card of the done columns, not only the latest
    lanes: bool = False  # swimlanes by learning path

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        for column, value in (
            (Brick.sprint_id, self.sprint_id),
            (Brick.owner_id, self.owner_id),
            (Brick.learning_path_id, self.learning_path_id),
        ):
            if value is None:
                continue
            found.append(column.is_(None) if value == NONE else column == value)
        if self.format is not None:
            found.append(Brick.format == self.format)
        return found


@dataclass
class BoardOptions:
    """What the filters offer, and the sprint shown by default."""

    sprints: list[Sprint]
    owners: list[User]
    paths: list[LearningPath]

    @property
    def active_sprint(self) -> Sprint | None:
        return next((s for s in self.sprints if s.state == SprintState.ACTIVE), None)


def board_options(session: Session, academy: Academy) -> BoardOptions:
    return BoardOptions(
        sprints=rows.all_in(
            session,
            Sprint,
            Sprint.start_date.is_(None),
            Sprint.start_date.desc(),
            Sprint.id.desc(),
            academy_id=academy.id,
        ),
        owners=brick_owners(session, academy),
        paths=list_paths(session, academy),
    )


@dataclass(frozen=True)
class ColumnTotals:
    total: int  # every card in the stage, whatever the filters (what the WIP limit counts)
    count: int  # the cards matching the filters
    points: int  # their points


@dataclass
class BoardData:
    """The rows and totals the board is drawn from (they also key its rendering cache)."""

    stages: list[Stage]
    rows: Sequence[Row[Any]]  # cards in rank order: see _card_columns() for their fields
    totals: dict[int, ColumnTotals]
    done_stage_ids: frozenset[int]


def _card_columns(academy_id: int) -> tuple[Any, ...]:
    progress = (
        select(
            ChecklistItem.brick_id.label("brick_id"),
            func.count(ChecklistItem.id).label("total"),
            func.sum(case((ChecklistItem.done.is_(True), 1), else_=0)).label("done"),
        )
        .join(Brick, Brick.id == ChecklistItem.brick_id)
        .where(Brick.academy_id == academy_id)
        .group_by(ChecklistItem.brick_id)
        .cte("progress")
    )
    columns = (
        Brick.id.label("id"),
        Brick.number.label("number"),
        Brick.title.label("title"),
        # Raw values (no enum or timestamp conversion per row): rows are compared as the cache
        # key on every request; they are converted only when drawn (see _when and build_board).
        type_coerce(Brick.format, String).label("format"),
        Brick.learner_minutes.label("minutes"),
        Brick.estimate_points.label("points"),
        Brick.stage_id.label("stage_id"),
        Brick.version.label("version"),
        type_coerce(Brick.stage_entered_at, String).label("entered_at"),
        Brick.rank.label("rank"),
        Brick.learning_path_id.label("path_id"),
        User.display_name.label("owner"),
        LearningPath.name.label("path_name"),
        LearningPath.colour.label("path_colour"),
        func.coalesce(progress.c.done, 0).label("done"),
        func.coalesce(progress.c.total, 0).label("checklist"),
    )
    return columns, progress


@functools.lru_cache(maxsize=512)
def _statements(
    academy_id: int, filters: BoardFilters, done_ids: frozenset[int]
) -> tuple[Executable, Executable]:
    """The cards and totals statements of a board, built once per academy and filters
    (building these expressions costs more than running them on a small board)."""
    conditions = filters.conditions()
    columns, progress = _card_columns(academy_id)
    query = (
        select(*columns)
        .outerjoin(User, User.id == Brick.owner_id)
        .outerjoin(LearningPath, LearningPath.id == Brick.learning_path_id)
        .outerjoin(progress, progress.c.brick_id == Brick.id)
        .where(Brick.academy_id == academy_id, *conditions)
    )
    final: Executable
    if done_ids and not filters.all_done:
        # Done columns: only their latest finished cards, each column its own LIMIT (a UNION
        # of one part per done stage, so still one statement whatever the data).
        parts = [query.where(Brick.stage_id.not_in(sorted(done_ids))).subquery()]
        for stage_id in sorted(done_ids):
            parts.append(
                query.where(Brick.stage_id == stage_id)
                .order_by(Brick.stage_entered_at.desc(), Brick.id.desc())
                .limit(DONE_SHOWN)
                .subquery()
            )
        cards = union_all(*(select(part) for part in parts)).subquery("cards")
        final = select(cards).order_by(cards.c.rank, cards.c.id)
    else:
        final = query.order_by(Brick.rank, Brick.id)
    matching = and_(*conditions) if conditions else true()
    totals = (
        select(
            Brick.stage_id,
            func.count(Brick.id),
            func.sum(case((matching, 1), else_=0)),
            func.sum(case((matching, func.coalesce(Brick.estimate_points, 0)), else_=0)),
        )
        .where(Brick.academy_id == academy_id)
        .group_by(Brick.stage_id)
    )
    return final, totals


def load_board(
    session: Session, academy: Academy, filters: BoardFilters, stages: list[Stage]
) -> BoardData:
    """Two queries whatever the number of bricks: the cards, and the totals per column."""
    done_ids = frozenset(s.id for s in stages if s.category == StageCategory.DONE)
    cards, totals = _statements(academy.id, filters, done_ids)
    # Core rather than ORM execution: plain rows, several times cheaper for thousands of them.
    connection = session.connection()
    rows = connection.execute(cards).all()
    return BoardData(
        stages=stages,
        rows=rows,
        totals={
            int(stage_id): ColumnTotals(int(total), int(count or 0), int(points or 0))
            for stage_id, total, count, points in connection.execute(totals)
        },
        done_stage_ids=done_ids,
    )


# -- What the template draws ----------------------------------------------------------------------


@dataclass
class Card:
    number: int
    title: str
    format: BrickFormat
    minutes: int | None
    points: int | None
    stage_id: int
    version: int
    days: int  # whole days in its column
    owner: str | None
    path_id: int | None
    path_name: str | None
    path_colour: str | None
    done: int
    checklist: int


@dataclass
class Column:
    stage: Stage
    totals: ColumnTotals
    cards: list[Card] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        """Matching cards not drawn (the older ones of a collapsed done column)."""
        return max(0, self.totals.count - len(self.cards))

    @property
    def over_limit(self) -> bool:
        limit = self.stage.wip_limit
        return limit is not None and self.totals.total > limit

    @property
    def at_limit(self) -> bool:
        limit = self.stage.wip_limit
        return limit is not None and self.totals.total >= limit


@dataclass
class Lane:
    """A swimlane: one learning path (or none), with its cards per stage."""

    path_id: int | None
    name: str | None
    colour: str | None
    cells: dict[int, list[Card]]

    @property
    def count(self) -> int:
        return sum(len(cards) for cards in self.cells.values())


@dataclass
class Board:
    columns: list[Column]
    lanes: list[Lane] | None  # None: no swimlanes


def _when(value: Any) -> dt.datetime:
    """A raw stage_entered_at as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime;
    the same conversion as tracker.db.UTCDateTime)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def build_board(
    data: BoardData, *, today: dt.date, tz: dt.tzinfo, paths: list[LearningPath], lanes: bool
) -> Board:
    """Columns (and lanes) from the rows; days in column counted in the reader's time zone."""
    columns = {
        s.id: Column(stage=s, totals=data.totals.get(s.id, ColumnTotals(0, 0, 0)))
        for s in data.stages
    }
    cards: list[Card] = []
    formats: dict[str, BrickFormat] = {}
    days_since: dict[Any, int] = {}  # per minute of entry (every zone's offset is whole minutes)
    # Unpacked by position (the order of _card_columns): several times cheaper than attributes.
    for (
        _id, number, title, format_, minutes, points, stage_id, version, entered, _rank,
        path_id, owner, path_name, path_colour, done, checklist,
    ) in cast("Sequence[tuple[Any, ...]]", data.rows):  # fmt: skip
        column = columns.get(stage_id)
        if column is None:  # a stage created after the stages were read
            continue
        minute = (
            entered[:16] if isinstance(entered, str) else entered.replace(second=0, microsecond=0)
        )
        days = days_since.get(minute)
        if days is None:
            days = days_since[minute] = max(0, (today - _when(entered).astimezone(tz).date()).days)
        kind = formats.get(format_)
        if kind is None:
            kind = formats[format_] = BrickFormat(format_)
        card = Card(
            number, title, kind, minutes, points, stage_id, version, days, owner,
            path_id, path_name, path_colour, int(done), int(checklist),
        )  # fmt: skip
        column.cards.append(card)
        cards.append(card)
    if not lanes:
        return Board(columns=list(columns.values()), lanes=None)
    by_path: dict[int | None, Lane] = {
        p.id: Lane(p.id, p.name, p.colour, {s.id: [] for s in data.stages}) for p in paths
    }
    by_path[None] = Lane(None, None, None, {s.id: [] for s in data.stages})
    for card in cards:
        lane = by_path.get(card.path_id)
        if lane is None:  # a path created after the paths were read
            lane = by_path[card.path_id] = Lane(
                card.path_id, card.path_name, card.path_colour, {s.id: [] for s in data.stages}
            )
        lane.cells[card.stage_id].append(card)
    return Board(
        columns=list(columns.values()),
        lanes=[lane for lane in by_path.values() if lane.count],
    )
