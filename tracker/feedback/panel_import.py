"""Import testers into the panel from CSV or XLSX: the dry run (rows → what would happen to each
person), then all rows or none.

A member of the academy (matched by e-mail, case-insensitive) gets a tester profile here, or
has theirs updated, and keeps their role; their name and account are left as they are. Anyone
else is invited to the panel (an academy invitation carrying the profile): they join only if
they accept. The dry run, the invitation and the report say the same thing whether the address
has an account elsewhere or not: an academy learns nothing about accounts it does not share.
The pages and the upload kept between the dry run and the confirmation are the shared ones of
tracker/imports_web.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import spreadsheets
from tracker.academies.labels import ROLE_LABELS
from tracker.academies.models import Academy, AcademyInvitation, Membership, Role
from tracker.academies.services import create_invitation
from tracker.auth.models import LOCALES, User
from tracker.auth.services import normalize_email
from tracker.errors import Conflict, DomainError
from tracker.feedback.models import TesterProfile
from tracker.feedback.panel import ATTRIBUTE_LENGTH, clean
from tracker.imports import Column, ImportPlan, ImportRow, ImportRules, normalize, read_file
from tracker.mail.services import has_control_characters
from tracker.spreadsheets import ImportFileError

NAME_LENGTH = 120  # as a display name
PROFILE_ATTRIBUTES = ("business_unit", "job_family", "site", "language")

IMPORT_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        ("nom", "full name", "nom complet", "display name", "nom et prenom", "prenom nom"),
        required=True,
    ),
    Column(
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
    Column(
        "business_unit",
        ("bu", "unit", "unite", "direction", "entite", "departement", "department", "division"),
    ),
    Column(
        "job_family",
        ("famille de metiers", "famille de metier", "famille metier", "metier", "job", "fonction"),
    ),
    Column("site", ("location", "lieu", "localisation", "ville", "city", "office", "bureau")),
    Column("language", ("langue", "lang", "locale")),
)
# Language codes and names people type, in both languages.
_LANGUAGES = {
    normalize(alias): code
    for code, aliases in {
        "fr": ("fr", "fr-fr", "fr_fr", "français", "francais", "french"),
        "en": ("en", "en-gb", "en-us", "en_gb", "en_us", "english", "anglais"),
    }.items()
    for alias in aliases
}

# What importing a row would do (ImportRow.outcome).
INVITE = "invite"  # not a member here: invited to the panel (accepts or declines)
PROFILE = "profile"  # a member here: a tester profile added
UPDATE = "update"  # a member here: their profile updated


@dataclass
class TesterRow(ImportRow):
    """A row of the panel's file: `values` has every column of IMPORT_COLUMNS, cleaned."""

    role: Role | None = None  # the person's current role in the academy, if any


# -- The dry run --------------------------------------------------------------------------------


def _check_row(row: TesterRow, default_language: str) -> None:
    values = row.values
    if not values["name"]:
        row.fail("name", _("The name is missing."))
    elif len(values["name"]) > NAME_LENGTH:
        row.fail(
            "name",
            ngettext("At most %(num)s character.", "At most %(num)s characters.", NAME_LENGTH),
        )
    elif has_control_characters(values["name"]):
        row.fail("name", _("Line breaks, tabs and other control characters are not allowed."))
    if not values["email"]:
        row.fail("email", _("The e-mail address is missing."))
    else:
        try:
            validate_email(values["email"], check_deliverability=False)
        except EmailNotValidError:
            row.fail("email", _("This is not a valid e-mail address."))
        else:
            values["email"] = normalize_email(values["email"])
    for attribute in ("business_unit", "job_family", "site"):
        if len(values[attribute]) > ATTRIBUTE_LENGTH:
            row.fail(
                attribute,
                ngettext(
                    "At most %(num)s character.", "At most %(num)s characters.", ATTRIBUTE_LENGTH
                ),
            )
    if not values["language"]:
        values["language"] = default_language
    else:
        code = _LANGUAGES.get(normalize(values["language"]))
        if code is None:
            row.fail(
                "language",
                _("Unknown language %(value)s: write fr or en.", value=values["language"]),
            )
        else:
            values["language"] = code


def plan_tester_import(
    session: Session, academy: Academy, filename: str, data: bytes
) -> ImportPlan[TesterRow]:
    """Read the file and check every row; writes nothing. ImportFileError if unreadable."""
    found, body = read_file(filename, data, IMPORT_COLUMNS)
    if len(body) > spreadsheets.MAX_ROWS:
        raise ImportFileError(
            ngettext(
                "Import at most %(num)s tester at a time.",
                "Import at most %(num)s testers at a time.",
                spreadsheets.MAX_ROWS,
            )
        )
    found.require(
        lambda names: _(
            "The first row must name the columns; these are missing: %(names)s.", names=names
        )
    )
    if not body:
        raise ImportFileError(_("The file has a header but no testers."))
    plan: ImportPlan[TesterRow] = ImportPlan(
        # The dry run shows every column, with what the import will use (the language
        # given by default, the e-mail address in lower case).
        columns=[column.name for column in IMPORT_COLUMNS],
        ignored_columns=found.ignored,
    )
    default_language = academy.default_locale if academy.default_locale in LOCALES else "fr"
    first_line_of: dict[str, int] = {}
    for line, cells in body:
        values = {column.name: "" for column in IMPORT_COLUMNS}
        values.update(
            (name, clean(cell)) for name, cell in zip(found.names, cells, strict=False) if name
        )
        row = TesterRow(line=line, values=values, shown=values)
        _check_row(row, default_language)
        if values["email"] and not any(column == "email" for column, _m in row.errors):
            first = first_line_of.setdefault(values["email"], row.line)
            if first != row.line:
                row.fail("email", _("The same e-mail address is on line %(line)s.", line=first))
        plan.rows.append(row)
    _describe_outcomes(session, academy, plan)
    return plan


def _describe_outcomes(session: Session, academy: Academy, plan: ImportPlan[TesterRow]) -> None:
    emails = sorted({row.values["email"] for row in plan.rows if row.ok})
    members = _members_by_email(session, academy, emails)
    profiled = _profiles_of(session, academy, [user.id for user, _role in members.values()])
    invited = _invited_as_member(session, academy, emails)
    for row in plan.rows:
        member = members.get(row.values["email"])
        if member is None and row.values["email"] in invited:
            row.fail(
                "email",
                _(
                    "This person has a pending invitation as %(role)s: cancel it on the members"
                    " page, or wait for their answer.",
                    role=ROLE_LABELS[invited[row.values["email"]]],
                ),
            )
            continue
        if member is None:
            row.outcome = INVITE
            continue
        user, row.role = member
        row.outcome = UPDATE if user.id in profiled else PROFILE


def _invited_as_member(
    session: Session, academy: Academy, emails: Sequence[str]
) -> dict[str, Role]:
    """The academy's own pending invitations (not the panel's) among these addresses."""
    found: dict[str, Role] = {}
    for start in range(0, len(emails), 900):
        rows = session.execute(
            select(AcademyInvitation.email, AcademyInvitation.role).where(
                AcademyInvitation.academy_id == academy.id,
                AcademyInvitation.email.in_(emails[start : start + 900]),
                AcademyInvitation.profile.is_(None),
                AcademyInvitation.accepted_at.is_(None),
                AcademyInvitation.revoked_at.is_(None),
                AcademyInvitation.declined_at.is_(None),
            )
        )
        for email, role in rows:
            found[email] = role
    return found


def _members_by_email(
    session: Session, academy: Academy, emails: Sequence[str]
) -> dict[str, tuple[User, Role]]:
    """The academy's own members among these addresses (what the academy already knows)."""
    found: dict[str, tuple[User, Role]] = {}
    for start in range(0, len(emails), 900):  # stay under every engine's parameter limit
        rows = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.academy_id == academy.id,
                User.email.in_(emails[start : start + 900]),
            )
        )
        for user, role in rows:
            found[user.email] = (user, role)
    return found


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


# -- The import ---------------------------------------------------------------------------------


@dataclass
class TesterImportReport:
    invited: int = 0  # invitations to the panel sent
    added: int = 0  # profiles given to members
    updated: int = 0  # existing profiles updated


def import_testers(
    session: Session,
    academy: Academy,
    plan: ImportPlan[TesterRow],
    *,
    actor: User | None = None,
    now: dt.datetime,
    base_url: str = "",
    valid_days: int = 14,
) -> TesterImportReport:
    """Apply a checked plan: all rows or none (the caller commits or rolls back).

    Conflict when another import changed these memberships or profiles at the same moment
    (the caller rolls back, and may check the file again).
    """
    if not plan.ok:
        raise DomainError(_("Correct the file first: nothing is imported while a row is wrong."))
    try:
        return _import(session, academy, plan, actor, now, base_url, valid_days)
    except IntegrityError:
        raise Conflict(
            _("The panel changed while importing: nothing was imported. Try again.")
        ) from None


def _import(
    session: Session,
    academy: Academy,
    plan: ImportPlan[TesterRow],
    actor: User | None,
    now: dt.datetime,
    base_url: str,
    valid_days: int,
) -> TesterImportReport:
    report = TesterImportReport()
    members = _members_by_email(session, academy, sorted({r.values["email"] for r in plan.rows}))
    profiles = _profiles_of(session, academy, [user.id for user, _role in members.values()])
    for row in plan.rows:
        attributes = {name: row.values[name] for name in PROFILE_ATTRIBUTES}
        member = members.get(row.values["email"])
        if member is None:
            create_invitation(
                session,
                academy,
                email=row.values["email"],
                role=Role.TESTER,
                actor=actor,
                base_url=base_url,
                valid_days=valid_days,
                display_name=row.values["name"],
                profile=attributes,
                now=now,
            )
            report.invited += 1
            continue
        user = member[0]
        profile = profiles.get(user.id)
        if profile is None:
            profile = TesterProfile(academy_id=academy.id, user_id=user.id)
            session.add(profile)
            profiles[user.id] = profile
            report.added += 1
        else:
            report.updated += 1
        for name, value in attributes.items():
            setattr(profile, name, value)
        profile.active = True
    session.flush()
    return report


TEMPLATE_ROWS = (
    ("Léa Martin", "lea.martin@example.com", "Finance", "Contrôle de gestion", "Paris", "fr"),
    ("Ines Dubois", "ines.dubois@example.com", "IT", "Developer", "Lyon", "en"),
)


def template_csv() -> bytes:
    """An empty panel file with its header and two example rows (UTF-8 with BOM, `;`)."""
    return spreadsheets.write_csv([[column.name for column in IMPORT_COLUMNS], *TEMPLATE_ROWS])


# The panel's import, for the flow and pages of tracker/imports_web.py (feedback/panel_views.py).
RULES = ImportRules(
    columns=IMPORT_COLUMNS, check=plan_tester_import, apply=import_testers, sample=template_csv
)
