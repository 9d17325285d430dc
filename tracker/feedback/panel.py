"""The tester panel: CSV import (dry run, then all or nothing), profiles, segments, and the
figures a manager needs to choose testers (how often each was asked lately).

An imported person is matched to an existing account by e-mail (case-insensitive), never
duplicated. A new person gets an account without a password (they answer through personal
links, or set a password later through an academy invitation), a `tester` membership and a
profile; a person already a member with another role keeps that role and gets a profile.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
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

from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import LOCALES, User
from tracker.auth.services import normalize_email
from tracker.backlog.io import ImportFileError, normalize, read_table
from tracker.errors import DomainError, NotFound
from tracker.feedback.models import FeedbackRound, RoundInvitation, Segment, TesterProfile

MAX_TESTER_ROWS = 5000
ATTRIBUTE_LENGTH = 120
NAME_LENGTH = 120
# "How often was this person asked lately": the window the invitation screens count over.
RECENT_DAYS = 90
PAGE_SIZE = 50

# The attributes segments filter on, in the order forms show them.
ATTRIBUTES = ("business_unit", "job_family", "site", "language")


@dataclass(frozen=True)
class ImportColumn:
    name: str
    aliases: tuple[str, ...]
    required: bool = False


IMPORT_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "name",
        ("nom", "full name", "nom complet", "display name", "nom et prenom", "prenom nom"),
        required=True,
    ),
    ImportColumn(
        "email",
        (
            "e-mail",
            "mail",
            "courriel",
            "email address",
            "e-mail address",
            "adresse e-mail",
            "adresse email",
            "adresse mail",
            "adresse electronique",
        ),
        required=True,
    ),
    ImportColumn(
        "business_unit",
        ("bu", "unit", "unite", "direction", "entite", "departement", "department", "division"),
    ),
    ImportColumn(
        "job_family",
        ("famille de metiers", "famille de metier", "famille metier", "metier", "job", "fonction"),
    ),
    ImportColumn("site", ("location", "lieu", "localisation", "ville", "city", "office", "bureau")),
    ImportColumn("language", ("langue", "lang", "locale")),
)
_HEADERS = {
    normalize(alias): column.name
    for column in IMPORT_COLUMNS
    for alias in (column.name, *column.aliases)
}
# Language codes and names people type, in both languages.
_LANGUAGES = {
    normalize(alias): code
    for code, aliases in {
        "fr": ("fr", "fr-fr", "fr_fr", "français", "francais", "french"),
        "en": ("en", "en-gb", "en-us", "en_gb", "en_us", "english", "anglais"),
    }.items()
    for alias in aliases
}


# -- Import -----------------------------------------------------------------------------------


@dataclass
class TesterImportRow:
    line: int  # in the file, the header being line 1
    name: str = ""
    email: str = ""
    business_unit: str = ""
    job_family: str = ""
    site: str = ""
    language: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    # What importing it would do: "new" account, "profile" added to an existing account,
    # "update" of an existing profile. `role` is the person's current role here, if any.
    outcome: str = ""
    role: Role | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class TesterImportPlan:
    rows: list[TesterImportRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


def _clean(value: str) -> str:
    return " ".join((value or "").split())


def _check_row(row: TesterImportRow, default_language: str) -> None:
    if not row.name:
        row.errors.append(("name", _("The name is missing.")))
    elif len(row.name) > NAME_LENGTH:
        row.errors.append(("name", _("At most %(max)s characters.", max=NAME_LENGTH)))
    if not row.email:
        row.errors.append(("email", _("The e-mail address is missing.")))
    else:
        try:
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append(("email", _("This is not a valid e-mail address.")))
        else:
            row.email = normalize_email(row.email)
    for attribute in ("business_unit", "job_family", "site"):
        if len(getattr(row, attribute)) > ATTRIBUTE_LENGTH:
            row.errors.append((attribute, _("At most %(max)s characters.", max=ATTRIBUTE_LENGTH)))
    if not row.language:
        row.language = default_language
    else:
        code = _LANGUAGES.get(normalize(row.language))
        if code is None:
            row.errors.append(
                (
                    "language",
                    _(
                        "Unknown language %(value)s: write fr or en.",
                        value=row.language,
                    ),
                )
            )
        else:
            row.language = code


def plan_tester_import(
    session: Session, academy: Academy, filename: str, data: bytes
) -> TesterImportPlan:
    """Read the file and check every row; writes nothing. ImportFileError if unreadable."""
    table = read_table(filename, data)
    table = [row for row in table if any((cell or "").strip() for cell in row)]
    if not table:
        raise ImportFileError(_("The file is empty."))
    header, *body = table
    if len(body) > MAX_TESTER_ROWS:
        raise ImportFileError(_("Import at most %(max)s testers at a time.", max=MAX_TESTER_ROWS))
    positions: dict[str, int] = {}
    plan = TesterImportPlan()
    for index, title in enumerate(header):
        name = _HEADERS.get(normalize(title or ""))
        if name is None or name in positions:
            if (title or "").strip():
                plan.ignored_columns.append(title.strip())
            continue
        positions[name] = index
        plan.columns.append(name)
    missing = [c.name for c in IMPORT_COLUMNS if c.required and c.name not in positions]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns; these are missing: %(names)s.",
                names=", ".join(missing),
            )
        )
    if not body:
        raise ImportFileError(_("The file has a header but no testers."))

    default_language = academy.default_locale if academy.default_locale in LOCALES else "fr"
    first_line_of: dict[str, int] = {}
    for offset, cells in enumerate(body):
        values = {
            name: _clean(cells[index]) if index < len(cells) else ""
            for name, index in positions.items()
        }
        row = TesterImportRow(line=offset + 2)
        for name, value in values.items():
            setattr(row, name, value)
        _check_row(row, default_language)
        if row.email and not any(column == "email" for column, _m in row.errors):
            first = first_line_of.setdefault(row.email, row.line)
            if first != row.line:
                row.errors.append(
                    ("email", _("The same e-mail address is on line %(line)s.", line=first))
                )
        plan.rows.append(row)
    _describe_outcomes(session, academy, plan)
    return plan


def _describe_outcomes(session: Session, academy: Academy, plan: TesterImportPlan) -> None:
    emails = sorted({row.email for row in plan.rows if row.ok})
    users = _users_by_email(session, emails)
    user_ids = [user.id for user in users.values()]
    roles = _roles_of(session, academy, user_ids)
    profiled = _profiles_of(session, academy, user_ids)
    for row in plan.rows:
        user = users.get(row.email)
        if user is None:
            row.outcome = "new"
            continue
        if user.erased_at is not None or not user.is_active:
            row.errors.append(("email", _("This person's account is closed.")))
            continue
        row.role = roles.get(user.id)
        row.outcome = "update" if user.id in profiled else "profile"


def _users_by_email(session: Session, emails: Sequence[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(emails), 900):  # stay under every engine's parameter limit
        chunk = emails[start : start + 900]
        for user in session.scalars(select(User).where(User.email.in_(chunk))):
            found[user.email] = user
    return found


def _roles_of(session: Session, academy: Academy, user_ids: Sequence[int]) -> dict[int, Role]:
    roles: dict[int, Role] = {}
    for start in range(0, len(user_ids), 900):
        rows = session.execute(
            select(Membership.user_id, Membership.role).where(
                Membership.academy_id == academy.id,
                Membership.user_id.in_(user_ids[start : start + 900]),
            )
        )
        roles.update({int(user_id): role for user_id, role in rows})
    return roles


def _profiles_of(
    session: Session, academy: Academy, user_ids: Sequence[int]
) -> dict[int, TesterProfile]:
    profiles: dict[int, TesterProfile] = {}
    for start in range(0, len(user_ids), 900):
        for profile in session.scalars(
            select(TesterProfile).where(
                TesterProfile.academy_id == academy.id,
                TesterProfile.user_id.in_(user_ids[start : start + 900]),
            )
        ):
            profiles[profile.user_id] = profile
    return profiles


@dataclass
class TesterImportReport:
    created: int = 0  # new accounts
    added: int = 0  # profiles given to existing accounts
    updated: int = 0  # existing profiles updated


def import_testers(
    session: Session, academy: Academy, plan: TesterImportPlan
) -> TesterImportReport:
    """Apply a checked plan: all rows or none (the caller commits or rolls back)."""
    if not plan.ok:
        raise DomainError(_("Correct the file first: nothing is imported while a row is wrong."))
    report = TesterImportReport()
    users = _users_by_email(session, sorted({row.email for row in plan.rows}))
    new_users: list[tuple[TesterImportRow, User]] = []
    for row in plan.rows:
        if row.email not in users:
            user = User(
                email=row.email,
                display_name=row.name,
                password_hash=None,
                locale=row.language,
                is_admin=False,
                is_active_account=True,
            )
            session.add(user)
            new_users.append((row, user))
    session.flush()  # one multi-row INSERT with RETURNING on both engines
    for _row, user in new_users:
        users[user.email] = user
    report.created = len(new_users)

    user_ids = [user.id for user in users.values()]
    roles = _roles_of(session, academy, user_ids)
    profiles = _profiles_of(session, academy, user_ids)
    for row in plan.rows:
        user = users[row.email]
        if user.id not in roles:
            session.add(Membership(academy_id=academy.id, user_id=user.id, role=Role.TESTER))
            roles[user.id] = Role.TESTER
        if user.password_hash is None and user.display_name != row.name:
            # Nobody ever logged in with this account: the panel's file is the best name we have.
            user.display_name = row.name
        profile = profiles.get(user.id)
        attributes = {
            "business_unit": row.business_unit,
            "job_family": row.job_family,
            "site": row.site,
            "language": row.language,
        }
        if profile is None:
            profile = TesterProfile(academy_id=academy.id, user_id=user.id, active=True)
            for name, value in attributes.items():
                setattr(profile, name, value)
            session.add(profile)
            profiles[user.id] = profile
            if row.outcome != "new":
                report.added += 1
        else:
            for name, value in attributes.items():
                setattr(profile, name, value)
            profile.active = True
            report.updated += 1
    session.flush()
    return report


TEMPLATE_ROWS = (
    ("Léa Martin", "lea.martin@example.com", "Finance", "Contrôle de gestion", "Paris", "fr"),
    ("Ines Dubois", "ines.dubois@example.com", "IT", "Developer", "Lyon", "en"),
)


def template_csv() -> bytes:
    """An empty panel file with its header and two example rows (UTF-8 with BOM, `;`)."""
    import codecs
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.name for column in IMPORT_COLUMNS])
    writer.writerows(TEMPLATE_ROWS)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


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
            q=_clean(args.get("q", ""))[:100],
            business_unit=_clean(args.get("business_unit", ""))[:ATTRIBUTE_LENGTH],
            job_family=_clean(args.get("job_family", ""))[:ATTRIBUTE_LENGTH],
            site=_clean(args.get("site", ""))[:ATTRIBUTE_LENGTH],
            language=_clean(args.get("language", ""))[:8],
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
        .order_by(func.lower(User.display_name), User.id)
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
        values.sort(key=str.casefold)
    return found


def get_profile(session: Session, academy: Academy, profile_id: int) -> TesterProfile:
    profile = session.get(TesterProfile, profile_id)
    if profile is None or profile.academy_id != academy.id:
        raise NotFound(_("No such tester."))
    return profile


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
        cleaned = _clean(value)
        if len(cleaned) > ATTRIBUTE_LENGTH:
            raise DomainError(_("At most %(max)s characters.", max=ATTRIBUTE_LENGTH), field=name)
        setattr(profile, name, cleaned)
    profile.language = language
    profile.active = active
    session.flush()


# -- Segments ---------------------------------------------------------------------------------


def clean_segment_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Keep only known attributes and non-empty values, each list sorted and without repeats."""
    cleaned: dict[str, list[str]] = {}
    for name in ATTRIBUTES:
        values = sorted({_clean(v) for v in filters.get(name, []) if _clean(v)}, key=str.casefold)
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
            .order_by(func.lower(Segment.name))
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
    segment = session.get(Segment, segment_id)
    if segment is None or segment.academy_id != academy.id:
        raise NotFound(_("No such segment."))
    return segment


def _check_segment_name(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> str:
    name = _clean(name)
    if not name:
        raise DomainError(_("Give the segment a name."), field="name")
    if len(name) > 120:
        raise DomainError(_("At most %(max)s characters.", max=120), field="name")
    query = select(Segment.id).where(
        Segment.academy_id == academy.id, func.lower(Segment.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Segment.id != except_id)
    if session.scalar(query) is not None:
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
