"""Training needs: submit, edit, triage (status with history), link to bricks, score, coverage."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from tracker import rows
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick, NeedStatus, TrainingNeed, need_brick
from tracker.backlog.needs_models import NeedEvent, NeedEventKind
from tracker.collation import sort_key
from tracker.db import contains_text, parse_integer, within_integer
from tracker.errors import DomainError
from tracker.history import newest_first, record
from tracker.webhooks.events import EventType, emit

# The priority score, as stated on the needs pages:
#   score = criticality * urgency * log10(headcount + 10)
# Criticality and urgency (1-5) weigh the same; the headcount factor grows with the order of
# magnitude of the people concerned: 1 for nobody (or unknown), 2 for 90, 3 for 990, 4 for
# 9,990, so that a need for ten thousand people does not drown everything else.
# From 1 (1 * 1 * 1) upwards; 25 for a critical, urgent need of a handful of people.


def priority_score(criticality: int, urgency: int, headcount: int | None) -> float:
    return criticality * urgency * math.log10(max(headcount or 0, 0) + 10)


def score_of(need: TrainingNeed) -> float:
    return priority_score(need.criticality, need.urgency, need.headcount)


FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "business_unit",
    "requester_name",
    "population",
    "headcount",
    "criticality",
    "urgency",
)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Trim text, check the rules a form might not (services are called from elsewhere too)."""
    cleaned = dict(values)
    for name in ("title", "description", "business_unit", "requester_name", "population"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if not cleaned.get("title"):
        raise DomainError(_("Give the need a title."), field="title")
    if not cleaned.get("business_unit"):
        raise DomainError(_("Say which business unit needs it."), field="business_unit")
    for name in ("criticality", "urgency"):
        value = cleaned.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError(_("Choose a value from 1 to 5."), field=name)
    headcount = cleaned.get("headcount")
    if headcount is not None and headcount < 0:
        raise DomainError(_("Use a number of zero or more."), field="headcount")
    return cleaned


def _event(
    session: Session,
    need: TrainingNeed,
    kind: NeedEventKind,
    *,
    actor: User | None,
    from_status: NeedStatus | None = None,
    to_status: NeedStatus | None = None,
    note: str = "",
    at: dt.datetime,
) -> NeedEvent:
    return record(
        session, NeedEvent, actor=actor, at=at, need_id=need.id, kind=kind,
        from_status=from_status, to_status=to_status, note=note,
    )  # fmt: skip


def submit_need(
    session: Session,
    academy: Academy,
    *,
    actor: User | None,
    title: str,
    business_unit: str,
    description: str = "",
    requester_name: str = "",
    population: str = "",
    headcount: int | None = None,
    criticality: int = 3,
    urgency: int = 3,
    now: dt.datetime,
) -> TrainingNeed:
    values = _clean(
        {
            "title": title,
            "description": description,
            "business_unit": business_unit,
            "requester_name": requester_name,
            "population": population,
            "headcount": headcount,
            "criticality": criticality,
            "urgency": urgency,
        }
    )
    if not values["requester_name"] and actor is not None:
        values["requester_name"] = actor.display_name
    need = TrainingNeed(
        academy_id=academy.id,
        submitted_by_id=actor.id if actor else None,
        status=NeedStatus.NEW,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(need)
    session.flush()
    _event(session, need, NeedEventKind.SUBMITTED, actor=actor, to_status=NeedStatus.NEW, at=now)
    session.flush()
    emit(
        session,
        need.academy_id,
        EventType.NEED_CREATED,
        lambda: {"academy_id": need.academy_id, "need": need_data(need)},
        now,
    )
    return need


def need_data(need: TrainingNeed) -> dict[str, Any]:
    """What a webhook tells of a need (not who asked)."""
    return {
        "id": need.id,
        "title": need.title,
        "business_unit": need.business_unit,
        "status": need.status.value,
        "criticality": need.criticality,
        "urgency": need.urgency,
        "headcount": need.headcount,
        "score": score_of(need),
        "created_at": need.created_at,
    }


def update_need(
    session: Session, need: TrainingNeed, *, actor: User | None, now: dt.datetime, **values: Any
) -> bool:
    """Edit a need's description fields (not its status: see `change_need_status`)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown need fields: {sorted(unknown)}")
    current = {name: getattr(need, name) for name in FIELDS}
    values = _clean({**current, **values})
    changed = [name for name in FIELDS if values[name] != current[name]]
    if not changed:
        return False
    for name in changed:
        setattr(need, name, values[name])
    need.updated_at = now
    _event(session, need, NeedEventKind.EDITED, actor=actor, note=", ".join(changed), at=now)
    session.flush()
    return True


def change_need_status(
    session: Session,
    need: TrainingNeed,
    status: NeedStatus | str,
    *,
    actor: User | None,
    reason: str = "",
    now: dt.datetime,
) -> bool:
    """Triage: move a need to any status; a decline needs a reason. False when nothing changed.

    Every change is written to the need's history with who and when (and the reason).
    """
    status = NeedStatus(status)
    reason = reason.strip()
    if status == NeedStatus.DECLINED and not reason:
        raise DomainError(_("Say why the need is declined: the requester will read it."),
                          field="reason")  # fmt: skip
    new_reason = reason if status == NeedStatus.DECLINED else ""
    if status == need.status and new_reason == need.decline_reason:
        return False
    _event(
        session,
        need,
        NeedEventKind.STATUS_CHANGED,
        actor=actor,
        from_status=need.status,
        to_status=status,
        note=new_reason,
        at=now,
    )
    from_status = need.status
    need.status = status
    need.decline_reason = new_reason
    need.updated_at = now
    session.flush()
    emit(
        session,
        need.academy_id,
        EventType.NEED_TRIAGED,
        lambda: {
            "academy_id": need.academy_id,
            "need": need_data(need),
            "from_status": from_status.value,
            "reason": new_reason,
        },
        now,
    )
    return True


def _brick_event(
    session: Session,
    need: TrainingNeed,
    brick: Brick,
    kind: NeedEventKind,
    *,
    actor: User | None,
    now: dt.datetime,
) -> None:
    """The need's history names the brick linked or unlinked by its key and title."""
    academy = session.get(Academy, need.academy_id)
    assert academy is not None
    note = f"{academy.key_prefix}-{brick.number} {brick.title}"
    _event(session, need, kind, actor=actor, note=note, at=now)
    session.flush()


def link_brick(
    session: Session, need: TrainingNeed, brick: Brick, *, actor: User | None, now: dt.datetime
) -> bool:
    """Trace a need to a brick that answers it. False when already linked."""
    if brick.academy_id != need.academy_id:
        raise DomainError(_("Choose a brick of this academy."), field="brick_id")
    if brick in need.bricks:
        return False
    need.bricks.append(brick)
    _brick_event(session, need, brick, NeedEventKind.BRICK_LINKED, actor=actor, now=now)
    return True


def unlink_brick(
    session: Session, need: TrainingNeed, brick: Brick, *, actor: User | None, now: dt.datetime
) -> bool:
    if brick not in need.bricks:
        return False
    need.bricks.remove(brick)
    _brick_event(session, need, brick, NeedEventKind.BRICK_UNLINKED, actor=actor, now=now)
    return True


# -- Reading ------------------------------------------------------------------------------------


def get_need(session: Session, academy: Academy, need_id: int) -> TrainingNeed:
    return rows.get_in(
        session, TrainingNeed, need_id, _("No such training need."), academy_id=academy.id
    )


@dataclass(frozen=True)
class ScoredNeed:
    need: TrainingNeed
    score: float


def _by_score(needs: Iterable[TrainingNeed]) -> list[ScoredNeed]:
    # Highest score first; among equals, the oldest first (it has waited longest).
    scored = [ScoredNeed(need, score_of(need)) for need in needs]
    scored.sort(key=lambda s: (-s.score, s.need.created_at, s.need.id))
    return scored


def list_needs(
    session: Session,
    academy: Academy,
    *,
    statuses: Iterable[NeedStatus | str] = (),
    business_unit: str | None = None,
) -> list[ScoredNeed]:
    """The academy's needs, highest priority score first, with their bricks and submitter.

    The score uses log10, which SQLite lacks without its math extension: the sort happens
    here, over one academy's needs (hundreds, not millions), in a fixed number of queries.
    """
    query = (
        select(TrainingNeed)
        .where(TrainingNeed.academy_id == academy.id)
        .options(selectinload(TrainingNeed.bricks), selectinload(TrainingNeed.submitted_by))
    )
    wanted = [NeedStatus(s) for s in statuses]
    if wanted:
        query = query.where(TrainingNeed.status.in_(wanted))
    if business_unit:
        query = query.where(func.lower(TrainingNeed.business_unit) == business_unit.lower())
    return _by_score(session.scalars(query))


def needs_submitted_by(session: Session, academy: Academy, user: User) -> list[TrainingNeed]:
    """A requester's own needs, newest first (what "My needs" shows)."""
    return list(
        session.scalars(
            select(TrainingNeed)
            .where(TrainingNeed.academy_id == academy.id, TrainingNeed.submitted_by_id == user.id)
            .options(selectinload(TrainingNeed.bricks))
            .order_by(TrainingNeed.created_at.desc(), TrainingNeed.id.desc())
        )
    )


def business_units(session: Session, academy: Academy) -> list[str]:
    """The units named so far (the form suggests them, so that "DRH" stays one unit)."""
    names = session.scalars(
        select(TrainingNeed.business_unit).where(TrainingNeed.academy_id == academy.id).distinct()
    ).all()
    seen: dict[str, str] = {}
    for name in sorted(names):
        seen.setdefault(name.casefold(), name)
    return sorted(seen.values(), key=sort_key)


def need_history(session: Session, need: TrainingNeed) -> list[NeedEvent]:
    return newest_first(session, NeedEvent, NeedEvent.need_id == need.id)


KEY_RE = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9]*-)?([0-9]+)\s*$")


def find_bricks(session: Session, academy: Academy, text: str, *, limit: int = 20) -> list[Brick]:
    """Bricks whose key (ACAD-12, or just 12) or title matches `text`, in backlog order."""
    text = text.strip()
    if not text:
        return []
    criteria: list[ColumnElement[bool]] = [contains_text(func.lower(Brick.title), text.lower())]
    key = KEY_RE.match(text)
    number = parse_integer(key.group(1)) if key else None
    if number is not None and within_integer(number):  # else no brick has that number
        criteria.append(Brick.number == number)
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, or_(*criteria))
            .order_by(Brick.rank, Brick.id)
            .limit(limit)
        )
    )


def bricks_to_link(
    session: Session, academy: Academy, need: TrainingNeed, text: str
) -> list[Brick]:
    """The bricks `find_bricks` finds, but those already linked to the need."""
    linked = {b.id for b in need.bricks}
    return [b for b in find_bricks(session, academy, text) if b.id not in linked]


def get_brick_by_id(session: Session, academy: Academy, brick_id: int) -> Brick:
    return rows.get_in(session, Brick, brick_id, _("No such brick."), academy_id=academy.id)


# -- Coverage -----------------------------------------------------------------------------------


@dataclass
class UnitCoverage:
    """One business unit's needs, in four disjoint groups (declined ones aside).

    delivered: status delivered; covered: linked to at least one brick, not delivered yet;
    uncovered: no brick yet (new, accepted or planned without a brick); declined.
    """

    business_unit: str
    delivered: list[TrainingNeed] = field(default_factory=list)
    covered: list[TrainingNeed] = field(default_factory=list)
    uncovered: list[TrainingNeed] = field(default_factory=list)
    declined: list[TrainingNeed] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        """Needs still to be answered or answered: everything but the declined."""
        return len(self.delivered) + len(self.covered) + len(self.uncovered)

    @property
    def total(self) -> int:
        return self.open_total + len(self.declined)

    def share(self, group: str) -> float:
        """A group's percentage of the unit's non-declined needs (0 when there are none)."""
        if not self.open_total:
            return 0.0
        return len(getattr(self, group)) / self.open_total * 100


def coverage(session: Session, academy: Academy) -> list[UnitCoverage]:
    """Per business unit (grouped whatever the case), which needs have bricks, which are
    delivered, which have none. One query, whatever the number of needs."""
    has_brick = exists().where(need_brick.c.need_id == TrainingNeed.id)
    rows = session.execute(
        select(TrainingNeed, has_brick)
        .where(TrainingNeed.academy_id == academy.id)
        .order_by(TrainingNeed.created_at, TrainingNeed.id)
    ).all()
    units: dict[str, UnitCoverage] = {}
    for need, linked in rows:
        key = need.business_unit.strip().casefold()
        unit = units.setdefault(key, UnitCoverage(need.business_unit.strip()))
        if need.status == NeedStatus.DECLINED:
            unit.declined.append(need)
        elif need.status == NeedStatus.DELIVERED:
            unit.delivered.append(need)
        elif linked:
            unit.covered.append(need)
        else:
            unit.uncovered.append(need)
    return sorted(units.values(), key=lambda u: sort_key(u.business_unit))
