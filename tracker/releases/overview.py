"""The roadmap (a timeline of releases) and the stakeholder's home: aggregates only.

Nothing here reads an answer, a response or a person's feedback item: satisfaction comes from
the gate snapshots frozen when rounds closed (counts and percentages), needs coverage from the
needs service's counts per business unit. A fixed number of queries, whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick, TrainingNeed
from tracker.backlog.needs_services import UnitCoverage, coverage, needs_submitted_by
from tracker.backlog.paths_services import Totals, totals_by
from tracker.feedback.models import FeedbackRound
from tracker.formatting import axis_month
from tracker.releases.models import Release, ReleaseNotes, ReleaseState
from tracker.releases.readiness import BetaFigures, gated_rounds
from tracker.releases.services import list_releases
from tracker.sprints.models import Sprint
from tracker.sprints.services import done_condition


@dataclass(frozen=True)
class ReleaseLine:
    """A release with what the roadmap and the stakeholder's home show of it."""

    release: Release
    totals: Totals
    figures: BetaFigures | None  # its last closed round, if any
    notes: ReleaseNotes | None  # published notes, if any
    start: dt.date | None = None  # its first sprint's start or first round's opening

    @property
    def date(self) -> dt.date | None:
        """Where it stands in time: the day it was released, else its target date."""
        if self.release.released_at is not None:
            return self.release.released_at.date()
        return self.release.target_date


def release_starts(session: Session, academy: Academy) -> dict[int, dt.date]:
    """When each release's work began: the earliest start of a sprint holding one of its
    bricks, or the earliest opening of one of its rounds (one query)."""
    first_sprint = (
        select(func.min(Sprint.start_date))
        .join(Brick, Brick.sprint_id == Sprint.id)
        .where(Brick.release_id == Release.id)
        .correlate(Release)
        .scalar_subquery()
    )
    first_round = (
        select(func.min(func.coalesce(FeedbackRound.opened_at, FeedbackRound.opens_at)))
        .where(FeedbackRound.release_id == Release.id)
        .correlate(Release)
        .scalar_subquery()
    )
    starts: dict[int, dt.date] = {}
    rows = session.execute(
        select(Release.id, first_sprint, first_round).where(Release.academy_id == academy.id)
    )
    for release_id, sprint_day, round_moment in rows:
        days = [d for d in (sprint_day, _as_date(round_moment)) if d is not None]
        if days:
            starts[release_id] = min(days)
    return starts


def _as_date(value: Any) -> dt.date | None:
    """A round's opening as a day (SQLite answers text for an aggregate of a timestamp)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def release_lines(session: Session, academy: Academy) -> list[ReleaseLine]:
    """Every release of the academy with its totals (a released one: its done bricks), last
    gate, published notes and start: 6 queries."""
    releases = list_releases(session, academy)
    starts = release_starts(session, academy)
    totals = totals_by(session, academy, Brick.release_id)
    # What a released release delivered: its done bricks only.
    delivered = totals_by(session, academy, Brick.release_id, done_condition(academy.id))
    last: dict[int, BetaFigures] = {}
    for figures in gated_rounds(session, FeedbackRound.academy_id == academy.id):
        last[figures.round.release_id] = figures  # the latest one wins
    notes = {
        n.release_id: n
        for n in session.scalars(
            select(ReleaseNotes)
            .join(Release, Release.id == ReleaseNotes.release_id)
            .where(Release.academy_id == academy.id, ReleaseNotes.published_at.is_not(None))
        )
    }
    return [
        ReleaseLine(
            r,
            (delivered if r.state == ReleaseState.RELEASED else totals).get(r.id, Totals()),
            last.get(r.id),
            notes.get(r.id),
            starts.get(r.id),
        )
        for r in releases
    ]


# -- The roadmap ----------------------------------------------------------------------------------

WIDTH = 880
LABEL_WIDTH = 250
PLOT_LEFT = 270
PLOT_RIGHT = 860
AXIS_Y = 28
ROW_HEIGHT = 34
HEADING_HEIGHT = 24
LABEL_CHARS = 32
PHASES = ("released", "in_beta", "planned")


def phase_of(release: Release) -> str:
    """Past, in beta, or still ahead (planned, approved, rejected)."""
    if release.state == ReleaseState.RELEASED:
        return "released"
    if release.state == ReleaseState.IN_BETA:
        return "in_beta"
    return "planned"


@dataclass(frozen=True)
class Mark:
    line: ReleaseLine
    y: float
    label: str
    x: float  # released on, or target
    target_x: float | None  # the target, when released on another day (the slip)
    css: str
    start_x: float | None = None  # its start: the bar runs from here to x (None: a dot only)


@dataclass(frozen=True)
class Heading:
    """The row naming a group of releases (released, in beta, planned)."""

    y: float
    phase: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    marks: list[Mark]
    ticks: list[Tick]
    today_x: float | None
    undated: list[ReleaseLine]
    headings: list[Heading] = field(default_factory=list)
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    axis_y: int = AXIS_Y


def _chronological(line: ReleaseLine) -> tuple[dt.date, int]:
    return (line.date or dt.date.max, line.release.id)


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _month_starts(start: dt.date, end: dt.date, step: int) -> list[dt.date]:
    months: list[dt.date] = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = dt.date(year, month, 1)
        if day > end:
            return months
        if (month - 1) % step == 0:
            months.append(day)


def timeline(lines: Sequence[ReleaseLine], today: dt.date) -> Timeline:
    """SVG geometry: releases grouped by state (released, in beta, planned), each a row in
    date order with a bar from its start to its release or target date; months along the top,
    today's line. Undated releases are listed beside it (and in the table)."""
    dated = sorted((ln for ln in lines if ln.date is not None), key=_chronological)
    undated = [ln for ln in lines if ln.date is None]
    days = [ln.date for ln in dated if ln.date is not None]
    days += [ln.release.target_date for ln in dated if ln.release.target_date is not None]
    days += [ln.start for ln in dated if ln.start is not None]
    first = min([*days, today]) - dt.timedelta(days=20)
    last = max([*days, today]) + dt.timedelta(days=20)
    span = max((last - first).days, 1)

    def x_of(day: dt.date) -> float:
        return round(PLOT_LEFT + (day - first).days / span * (PLOT_RIGHT - PLOT_LEFT), 1)

    months = span / 30.4
    step = 1 if months <= 14 else (3 if months <= 42 else 12)
    # The year on the first tick, on each January, and on every tick when they are far apart.
    ticks = [
        Tick(
            x_of(day),
            axis_month(day, with_year=step > 1 or day.month == 1 or not i),
        )
        for i, day in enumerate(_month_starts(first, last, step))
    ]
    marks: list[Mark] = []
    headings: list[Heading] = []
    y = AXIS_Y + 4.0
    for phase in PHASES:
        group = [ln for ln in dated if phase_of(ln.release) == phase]
        if not group:
            continue
        headings.append(Heading(y + HEADING_HEIGHT - 6, phase))
        y += HEADING_HEIGHT
        for ln in group:
            assert ln.date is not None
            target = ln.release.target_date
            slipped = (
                ln.release.released_at is not None and target is not None and target != ln.date
            )
            start = ln.start if ln.start is not None and ln.start < ln.date else None
            marks.append(
                Mark(
                    line=ln,
                    y=y + ROW_HEIGHT / 2,
                    label=_shorten(ln.release.name),
                    x=x_of(ln.date),
                    target_x=x_of(target) if slipped and target is not None else None,
                    css=f"roadmap-{phase} roadmap-state-{ln.release.state.value}",
                    start_x=x_of(start) if start is not None else None,
                )
            )
            y += ROW_HEIGHT
    height = round(max(y, AXIS_Y + 4 + ROW_HEIGHT) + 8)
    return Timeline(
        width=WIDTH,
        height=height,
        marks=marks,
        ticks=ticks,
        today_x=x_of(today),
        undated=undated,
        headings=headings,
    )


def timeline_description(lines: Sequence[ReleaseLine]) -> str:
    counts = dict.fromkeys(PHASES, 0)
    for ln in lines:
        counts[phase_of(ln.release)] += 1
    return _(
        "Released: %(released)s; in beta: %(in_beta)s; planned: %(planned)s. The table below "
        "gives the same dates and figures.",
        **{k: str(v) for k, v in counts.items()},
    )


# -- The stakeholder's home ----------------------------------------------------------------------


@dataclass
class StakeholderHome:
    released: list[ReleaseLine] = field(default_factory=list)  # newest first
    in_beta: list[ReleaseLine] = field(default_factory=list)
    planned: list[ReleaseLine] = field(default_factory=list)  # nearest first
    coverage: list[UnitCoverage] = field(default_factory=list)
    my_needs: list[TrainingNeed] = field(default_factory=list)

    @property
    def delivered(self) -> Totals:
        return Totals(
            count=sum(ln.totals.count for ln in self.released),
            points=sum(ln.totals.points for ln in self.released),
            learner_minutes=sum(ln.totals.learner_minutes for ln in self.released),
        )

    @property
    def satisfaction(self) -> list[ReleaseLine]:
        """Released, approved or in-beta releases with a closed round: their figures."""
        return [
            ln
            for ln in [*self.released, *self.in_beta, *self.planned]
            if ln.figures is not None and ln.release.state != ReleaseState.PLANNED
        ]

    @property
    def needs_total(self) -> int:
        return sum(unit.open_total for unit in self.coverage)

    @property
    def needs_answered(self) -> int:
        """Needs delivered, or with bricks on the way."""
        return sum(len(unit.delivered) + len(unit.covered) for unit in self.coverage)


def stakeholder_home(session: Session, academy: Academy, user: User) -> StakeholderHome:
    home = StakeholderHome()
    for ln in release_lines(session, academy):
        {"released": home.released, "in_beta": home.in_beta, "planned": home.planned}[
            phase_of(ln.release)
        ].append(ln)
    home.released.sort(key=lambda ln: ln.date or dt.date.min, reverse=True)
    home.coverage = coverage(session, academy)
    home.my_needs = needs_submitted_by(session, academy, user)
    return home
