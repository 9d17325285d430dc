"""Import testers into the panel from CSV or XLSX: the dry run (rows → what would happen to each
person), then all rows or none.

An imported person is matched to an existing account by e-mail (case-insensitive), never
duplicated. A new person gets an account without a password (they answer through personal
links, or set a password later through an academy invitation), a `tester` membership and a
profile; a person already a member with another role keeps that role and gets a profile.
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
from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import LOCALES, User
from tracker.auth.services import normalize_email
from tracker.errors import Conflict, DomainError
from tracker.feedback.models import TesterProfile
from tracker.feedback.panel import ATTRIBUTE_LENGTH, clean
from tracker.imports import Column, ImportPlan, ImportRow, ImportRules, normalize, read_file
from tracker.spreadsheets import ImportFileError

NAME_LENGTH = 120  # as a display name

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
NEW = "new"  # a new account
PROFILE = "profile"  # a profile added to an existing account
UPDATE = "update"  # an existing profile updated


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
    users = _users_by_email(session, emails)
    user_ids = [user.id for user in users.values()]
    roles = _roles_of(session, academy, user_ids)
    profiled = _profiles_of(session, academy, user_ids)
    for row in plan.rows:
        user = users.get(row.values["email"])
        if user is None:
            row.outcome = NEW
            continue
        if user.erased_at is not None or not user.is_active:
            row.fail("email", _("This person's account is closed."))
            continue
        row.role = roles.get(user.id)
        row.outcome = UPDATE if user.id in profiled else PROFILE


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


# -- The import ---------------------------------------------------------------------------------


@dataclass
class TesterImportReport:
    created: int = 0  # new accounts
    added: int = 0  # profiles given to existing accounts
    updated: int = 0  # existing profiles updated


def import_testers(
    session: Session,
    academy: Academy,
    plan: ImportPlan[TesterRow],
    *,
    actor: User | None = None,  # as every import is given; the panel records no author
    now: dt.datetime | None = None,  # likewise; the panel records no time
) -> TesterImportReport:
    """Apply a checked plan: all rows or none (the caller commits or rolls back).

    Conflict when another import created one of these people or memberships at the same
    moment (the caller rolls back, and may check the file again).
    """
    if not plan.ok:
        raise DomainError(_("Correct the file first: nothing is imported while a row is wrong."))
    try:
        return _import(session, academy, plan)
    except IntegrityError:
        raise Conflict(
            _("The panel changed while importing: nothing was imported. Try again.")
        ) from None


def _import(session: Session, academy: Academy, plan: ImportPlan[TesterRow]) -> TesterImportReport:
    report = TesterImportReport()
    users = _users_by_email(session, sorted({row.values["email"] for row in plan.rows}))
    new_users: list[User] = []
    for row in plan.rows:
        if row.values["email"] not in users:
            user = User(
                email=row.values["email"],
                display_name=row.values["name"],
                password_hash=None,
                locale=row.values["language"],
                is_admin=False,
                is_active_account=True,
            )
            session.add(user)
            new_users.append(user)
    session.flush()  # one multi-row INSERT with RETURNING on both engines
    users.update((user.email, user) for user in new_users)
    report.created = len(new_users)

    user_ids = [user.id for user in users.values()]
    roles = _roles_of(session, academy, user_ids)
    profiles = _profiles_of(session, academy, user_ids)
    for row in plan.rows:
        user = users[row.values["email"]]
        if user.id not in roles:
            session.add(Membership(academy_id=academy.id, user_id=user.id, role=Role.TESTER))
            roles[user.id] = Role.TESTER
        if user.password_hash is None and user.display_name != row.values["name"]:
            # Nobody ever logged in with this account: the panel's file is the best name we have.
            user.display_name = row.values["name"]
        attributes = {
            name: row.values[name] for name in ("business_unit", "job_family", "site", "language")
        }
        profile = profiles.get(user.id)
        if profile is None:
            profile = TesterProfile(academy_id=academy.id, user_id=user.id, active=True)
            for name, value in attributes.items():
                setattr(profile, name, value)
            session.add(profile)
            profiles[user.id] = profile
            if row.outcome != NEW:
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
    return spreadsheets.write_csv([[column.name for column in IMPORT_COLUMNS], *TEMPLATE_ROWS])


# The panel's import, for the flow and pages of tracker/imports_web.py (feedback/panel_views.py).
RULES = ImportRules(
    columns=IMPORT_COLUMNS, check=plan_tester_import, apply=import_testers, sample=template_csv
)
