"""The tester panel: profiles, the panel list, segments, and the figures a manager needs to
choose testers (how often each was asked lately). The import: tracker/feedback/panel_import.py.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from tracker import rows
from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import LOCALES, User
from tracker.cleaning import checked_line, one_line
from tracker.collation import folded, sort_key
from tracker.errors import DomainError
from tracker.feedback.models import FeedbackRound, RoundInvitation, Segment, TesterProfile

ATTRIBUTE_LENGTH = 120
# "How often was this person asked lately": the window the invitation screens count over.
RECENT_DAYS = 90
PAGE_SIZE = 50

# The attributes segments filter on, in the order forms show them.
ATTRIBUTES = ("business_unit", "job_family", "site", "language")


def clean(value: str) -> str:
    """A person's typed value with its spaces tidied: none around, one between words."""
    return one_line(value)


# -- Profiles and the panel list --------------------------------------------------------------


@dataclass(frozen=True)
class PanelFilters:
    q: str = ""
    business_unit: str = ""
    job_family: str = ""
    site: str = ""
    language: str = ""
    status: str = "active"  # active, inactive, all

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> PanelFilters:
        status = args.get("status", "active")
        return cls(
            q=clean(args.get("q", ""))[:100],
            business_unit=clean(args.get("business_unit", ""))[:ATTRIBUTE_LENGTH],
            job_family=clean(args.get("job_family", ""))[:ATTRIBUTE_LENGTH],
            site=clean(args.get("site", ""))[:ATTRIBUTE_LENGTH],
            language=clean(args.get("language", ""))[:8],
            status=status if status in ("active", "inactive", "all") else "active",
        )

    def as_args(self) -> dict[str, str]:
        """The filters that differ from the defaults (for links that keep them)."""
        values = {
            "q": self.q,
            "business_unit": self.business_unit,
            "job_family": self.job_family,
            "site": self.site,
            "language": self.language,
        }
        args = {name: value for name, value in values.items() if value}
        if self.status != "active":
            args["status"] = self.status
        return args

    def condition(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.q:
            like = f"%{self.q.lower()}%"
            parts.append(
                or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like))
            )
        for name in ATTRIBUTES:
            value = getattr(self, name)
            if value:
                parts.append(getattr(TesterProfile, name) == value)
        if self.status == "active":
            parts.append(TesterProfile.active.is_(True))
        elif self.status == "inactive":
            parts.append(TesterProfile.active.is_(False))
        return and_(true(), *parts)


@dataclass(frozen=True)
class PanelRow:
    profile: TesterProfile
    user: User
    role: Role | None
    recent_rounds: int


@dataclass(frozen=True)
class PanelPage:
    rows: list[PanelRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _panel_statement(academy: Academy, condition: ColumnElement[bool]) -> Any:
    return (
        select(TesterProfile, User, Membership.role)
        .join(User, User.id == TesterProfile.user_id)
        .outerjoin(
            Membership,
            and_(Membership.academy_id == academy.id, Membership.user_id == User.id),
        )
        .where(TesterProfile.academy_id == academy.id, condition)
    )


def list_testers(
    session: Session,
    academy: Academy,
    filters: PanelFilters,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: dt.datetime,
    extra: ColumnElement[bool] | None = None,
) -> PanelPage:
    """One page of the panel (three queries whatever its size)."""
    condition = filters.condition() if extra is None else and_(filters.condition(), extra)
    total = (
        session.scalar(
            select(func.count(TesterProfile.id))
            .join(User, User.id == TesterProfile.user_id)
            .where(TesterProfile.academy_id == academy.id, condition)
        )
        or 0
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        _panel_statement(academy, condition)
        .order_by(folded(User.display_name), User.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    counts = recent_invitation_counts(session, academy, [user.id for _p, user, _r in rows], now=now)
    return PanelPage(
        rows=[
            PanelRow(profile=profile, user=user, role=role, recent_rounds=counts.get(user.id, 0))
            for profile, user, role in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


def recent_invitation_counts(
    session: Session,
    academy: Academy,
    user_ids: Iterable[int],
    *,
    now: dt.datetime,
    days: int = RECENT_DAYS,
) -> dict[int, int]:
    """{user id: rounds of this academy they were invited to in the last `days` days}."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(RoundInvitation.user_id, func.count(RoundInvitation.id))
        .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
        .where(
            FeedbackRound.academy_id == academy.id,
            RoundInvitation.user_id.in_(ids),
            RoundInvitation.created_at >= now - dt.timedelta(days=days),
        )
        .group_by(RoundInvitation.user_id)
    )
    return {int(user_id): int(count) for user_id, count in rows}


def attribute_values(session: Session, academy: Academy) -> dict[str, list[str]]:
    """The distinct values of each attribute in the panel (for filters and segments): 1 query."""
    parts = [
        select(literal(name).label("attribute"), getattr(TesterProfile, name).label("value"))
        .where(TesterProfile.academy_id == academy.id, getattr(TesterProfile, name) != "")
        .distinct()
        for name in ATTRIBUTES
    ]
    found: dict[str, list[str]] = {name: [] for name in ATTRIBUTES}
    for attribute, value in session.execute(union_all(*parts)):
        found[attribute].append(value)
    for values in found.values():
        values.sort(key=sort_key)
    return found


def get_profile(session: Session, academy: Academy, profile_id: int) -> TesterProfile:
    return rows.get_in(
        session, TesterProfile, profile_id, _("No such tester."), academy_id=academy.id
    )


def update_profile(
    session: Session,
    profile: TesterProfile,
    *,
    business_unit: str,
    job_family: str,
    site: str,
    language: str,
    active: bool,
) -> None:
    if language not in LOCALES:
        raise DomainError(_("Choose French or English."), field="language")
    values = {"business_unit": business_unit, "job_family": job_family, "site": site}
    for name, value in values.items():
        cleaned = clean(value)
        if len(cleaned) > ATTRIBUTE_LENGTH:
            raise DomainError(
                ngettext(
                    "At most %(num)s character.", "At most %(num)s characters.", ATTRIBUTE_LENGTH
                ),
                field=name,
            )
        setattr(profile, name, cleaned)
    profile.language = language
    profile.active = active
    session.flush()


# -- Segments ---------------------------------------------------------------------------------


def clean_segment_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Keep only known attributes and non-empty values, each list sorted and without repeats."""
    cleaned: dict[str, list[str]] = {}
    for name in ATTRIBUTES:
        values = sorted({clean(v) for v in filters.get(name, []) if clean(v)}, key=sort_key)
        if values:
            cleaned[name] = values
    return cleaned


def segment_condition(filters: Mapping[str, Any]) -> ColumnElement[bool]:
    """Values of one attribute are alternatives (OR); attributes all apply (AND)."""
    parts: list[ColumnElement[bool]] = []
    for name in ATTRIBUTES:
        values = [v for v in filters.get(name, []) if isinstance(v, str)]
        if values:
            parts.append(getattr(TesterProfile, name).in_(values))
    return and_(true(), *parts)


def active_tester_condition() -> ColumnElement[bool]:
    """Profiles one may invite: active profile, open account."""
    return and_(
        TesterProfile.active.is_(True),
        User.is_active_account.is_(True),
        User.erased_at.is_(None),
    )


def list_segments(session: Session, academy: Academy) -> list[tuple[Segment, int]]:
    """Every segment with the number of active testers it matches (two queries in all)."""
    segments = list(
        session.scalars(
            select(Segment)
            .where(Segment.academy_id == academy.id)
            .order_by(folded(Segment.name), Segment.id)
        )
    )
    counts = segment_counts(session, academy, segments)
    return [(segment, counts.get(segment.id, 0)) for segment in segments]


def segment_counts(
    session: Session,
    academy: Academy,
    segments: Sequence[Segment],
    *,
    extra: ColumnElement[bool] | None = None,
) -> dict[int, int]:
    """{segment id: matching active testers} in one query (a COUNT ... FILTER per segment)."""
    if not segments:
        return {}
    columns = [
        func.count(TesterProfile.id).filter(segment_condition(segment.filters)).label(f"s{i}")
        for i, segment in enumerate(segments)
    ]
    row = session.execute(
        select(*columns)
        .join(User, User.id == TesterProfile.user_id)
        .where(
            TesterProfile.academy_id == academy.id,
            active_tester_condition(),
            extra if extra is not None else true(),
        )
    ).one()
    return {segment.id: int(row[i] or 0) for i, segment in enumerate(segments)}


def count_matching(session: Session, academy: Academy, filters: Mapping[str, Any]) -> int:
    return int(
        session.scalar(
            select(func.count(TesterProfile.id))
            .join(User, User.id == TesterProfile.user_id)
            .where(
                TesterProfile.academy_id == academy.id,
                active_tester_condition(),
                segment_condition(filters),
            )
        )
        or 0
    )


def get_segment(session: Session, academy: Academy, segment_id: int) -> Segment:
    return rows.get_in(session, Segment, segment_id, _("No such segment."), academy_id=academy.id)


def _check_segment_name(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> str:
    name = checked_line(name, field="name", max_length=120, missing=_("Give the segment a name."))
    if rows.name_taken(session, Segment.name, name, except_id=except_id, academy_id=academy.id):
        raise DomainError(_("Another segment already has this name."), field="name")
    return name


def create_segment(
    session: Session, academy: Academy, *, name: str, filters: Mapping[str, Iterable[str]]
) -> Segment:
    segment = Segment(
        academy_id=academy.id,
        name=_check_segment_name(session, academy, name),
        filters=clean_segment_filters(filters),
    )
    session.add(segment)
    session.flush()
    return segment


def update_segment(
    session: Session, segment: Segment, *, name: str, filters: Mapping[str, Iterable[str]]
) -> None:
    academy = session.get(Academy, segment.academy_id)
    assert academy is not None
    segment.name = _check_segment_name(session, academy, name, except_id=segment.id)
    segment.filters = clean_segment_filters(filters)
    session.flush()


def delete_segment(session: Session, segment: Segment) -> None:
    session.delete(segment)
    session.flush()


# -- Choosing testers for a round -------------------------------------------------------------


def not_invited_to(round_id: int) -> ColumnElement[bool]:
    return ~exists().where(
        RoundInvitation.round_id == round_id, RoundInvitation.user_id == TesterProfile.user_id
    )


def matching_user_ids(
    session: Session,
    academy: Academy,
    condition: ColumnElement[bool],
    *,
    exclude_round_id: int | None = None,
) -> list[int]:
    """Ids of the active testers matching `condition`, not yet invited to that round."""
    statement = (
        select(TesterProfile.user_id)
        .join(User, User.id == TesterProfile.user_id)
        .where(TesterProfile.academy_id == academy.id, active_tester_condition(), condition)
        .order_by(TesterProfile.user_id)
    )
    if exclude_round_id is not None:
        statement = statement.where(not_invited_to(exclude_round_id))
    return list(session.scalars(statement))


def invitable_ids(session: Session, academy: Academy, user_ids: Iterable[int]) -> list[int]:
    """Of these people, those who are active testers of the academy (hand-picked lists)."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    found: list[int] = []
    for start in range(0, len(ids), 900):
        found += session.scalars(
            select(TesterProfile.user_id)
            .join(User, User.id == TesterProfile.user_id)
            .where(
                TesterProfile.academy_id == academy.id,
                active_tester_condition(),
                TesterProfile.user_id.in_(ids[start : start + 900]),
            )
        )
    return sorted(found)
