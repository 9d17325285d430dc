"""Import bricks from CSV or XLSX (dry run, then confirm) and export the backlog to both.

Export and import share one list of columns, so an exported file imports back as the same
bricks. Reading is forgiving where spreadsheets differ (tracker/spreadsheets.py; column names in
French or English, format labels or codes) and strict about values: a dry run reports every
problem row by row, and nothing is imported while any row is wrong. The pages and the upload
kept between the dry run and the confirmation are the shared ones of tracker/imports_web.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import spreadsheets
from tracker.academies.models import Academy, Stage, WipPolicy
from tracker.academies.services import brick_owners
from tracker.auth.models import User
from tracker.backlog import ranking, services
from tracker.backlog.labels import FORMAT_LABELS, parse_duration
from tracker.backlog.models import Brick, BrickFormat, LearningPath
from tracker.errors import DomainError
from tracker.imports import Column, ImportPlan, ImportRow, ImportRules, normalize, read_file
from tracker.releases.models import Release
from tracker.spreadsheets import ImportFileError
from tracker.sprints.models import Sprint, SprintState

# In the order of the export; `key` is written on export and ignored on import (a new brick
# gets a new key).
COLUMNS: tuple[Column, ...] = (
    Column("key", ("clé", "cle", "id")),
    Column("title", ("titre",), required=True, max_length=200),
    Column("summary", ("résumé", "resume"), max_length=500),
    Column("description", ()),
    Column("format", (), required=True),
    Column(
        "learner_minutes",
        ("duration", "durée", "duree", "minutes", "learner duration", "durée apprenant"),
    ),
    Column("estimate_points", ("points", "estimate", "estimation")),
    Column("stage", ("étape", "etape", "colonne", "column")),
    Column("learning_path", ("path", "parcours")),
    Column("sprint", ()),
    Column("release", ("livraison", "version")),
    Column("owner", ("responsable", "propriétaire", "proprietaire")),
    Column("vendor", ("prestataire", "fournisseur"), max_length=120),
    Column("target_audience", ("audience", "public", "public cible", "cible"), max_length=255),
    Column("language", ("langue", "lang")),
    Column("prerequisites", ("prérequis", "prerequis", "pré-requis")),
    Column("content_url", ("url", "lien", "link", "content link"), max_length=500),
)
COLUMNS_BY_NAME = {column.name: column for column in COLUMNS}

# Format codes and their labels in French and English, as people type them. Kept here rather
# than read from the translation catalogues: an import must not depend on the reader's language.
FORMAT_NAMES: dict[BrickFormat, tuple[str, ...]] = {
    BrickFormat.MOOC: ("MOOC",),
    BrickFormat.SPOC: ("SPOC",),
    BrickFormat.SERIOUS_GAME: ("Serious game", "Jeu sérieux"),
    BrickFormat.SOCIAL_LEARNING: ("Social learning", "Apprentissage social"),
    BrickFormat.VIDEO: ("Video", "Vidéo"),
    BrickFormat.MICRO_LEARNING: ("Micro-learning", "Microlearning", "Micro-apprentissage"),
    BrickFormat.ELEARNING_MODULE: ("E-learning module", "E-learning", "Module e-learning"),
    BrickFormat.VIRTUAL_CLASS: ("Virtual class", "Virtual classroom", "Classe virtuelle"),
    BrickFormat.WEBINAR: ("Webinar", "Webinaire"),
    BrickFormat.PODCAST: ("Podcast",),
    BrickFormat.FACE_TO_FACE: (
        "Face to face",
        "Face-to-face session",
        "Présentiel",
        "En présentiel",
    ),
    BrickFormat.BLENDED: ("Blended", "Blended learning", "Hybride", "Mixte"),
    BrickFormat.DOCUMENT: ("Document", "Fiche", "Guide"),
}

LANGUAGE_NAMES = {
    "fr": ("fr", "français", "francais", "french", "fr-fr"),
    "en": ("en", "english", "anglais", "en-gb", "en-us"),
}
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?$")

_FORMATS: dict[str, BrickFormat] = {}
for _format, _labels in FORMAT_NAMES.items():
    for _label in (_format.value, *_labels):
        _FORMATS[normalize(_label)] = _format
_LANGUAGES = {
    normalize(alias): code for code, aliases in LANGUAGE_NAMES.items() for alias in aliases
}


# -- Checking rows against the academy --------------------------------------------------------


@dataclass
class _Lookups:
    academy: Academy
    stages: dict[str, Stage]
    paths: dict[str, LearningPath]
    sprints: dict[str, Sprint]
    releases: dict[str, Release]
    owners_by_email: dict[str, User]
    owners_by_name: dict[str, list[User]]
    formats: dict[str, BrickFormat]


def _lookups(session: Session, academy: Academy) -> _Lookups:
    def by_name(model: Any) -> dict[str, Any]:
        items = session.scalars(select(model).where(model.academy_id == academy.id)).all()
        return {normalize(item.name): item for item in items}

    owners = brick_owners(session, academy)
    by_display: dict[str, list[User]] = {}
    for user in owners:
        by_display.setdefault(normalize(user.display_name), []).append(user)
    return _Lookups(
        academy=academy,
        stages=by_name(Stage),
        paths=by_name(LearningPath),
        sprints=by_name(Sprint),
        releases=by_name(Release),
        owners_by_email={user.email.lower(): user for user in owners},
        owners_by_name=by_display,
        # The labels of the reader's language too, as the brick form shows them.
        formats={**{normalize(str(label)): f for f, label in FORMAT_LABELS.items()}, **_FORMATS},
    )


def _number(text: str) -> int:
    cleaned = text.replace("\u00a0", "").replace(" ", "")
    try:
        value = float(cleaned.replace(",", ".")) if cleaned else 0.0
    except ValueError:
        raise ValueError(_("“%(value)s” is not a number.", value=text)) from None
    if not value.is_integer():
        raise ValueError(_("Use a whole number (%(value)s).", value=text))
    if value < 0:
        raise ValueError(_("Use a number of zero or more."))
    if value > 1_000_000:
        raise ValueError(_("This number is too large."))
    return int(value)


def _minutes(text: str) -> int:
    """A number of minutes, or a duration as the brick form takes it ("1h30", "1:30")."""
    try:
        return _number(text)
    except ValueError as error:
        try:
            minutes = parse_duration(text)
        except ValueError:
            raise error from None
        return minutes or 0


def _check_row(line: int, cells: dict[str, str], lookups: _Lookups) -> ImportRow:
    row = ImportRow(line=line, shown=dict(cells))
    values, fail = row.values, row.fail
    for name, text in cells.items():
        column = COLUMNS_BY_NAME[name]
        if column.max_length is not None and len(text) > column.max_length:
            fail(
                name,
                ngettext(
                    "At most %(num)s character.", "At most %(num)s characters.", column.max_length
                ),
            )
    title = cells.get("title", "")
    if not title:
        fail("title", _("The title is missing."))
    values["title"] = title
    for name in ("summary", "description", "vendor", "target_audience", "prerequisites"):
        if cells.get(name):
            values[name] = cells[name]
    url = cells.get("content_url", "")
    if url:
        if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
            fail("content_url", _("Give a web address starting with https:// or http://."))
        values["content_url"] = url

    format_text = cells.get("format", "")
    brick_format = lookups.formats.get(normalize(format_text)) if format_text else None
    if not format_text:
        fail("format", _("The format is missing."))
    elif brick_format is None:
        fail("format", _("Unknown format “%(value)s”.", value=format_text))
    else:
        values["format"] = brick_format
        row.shown["format"] = brick_format.value

    for name, parse in (("learner_minutes", _minutes), ("estimate_points", _number)):
        text = cells.get(name, "")
        if text:
            try:
                values[name] = parse(text)
            except ValueError as error:
                fail(name, str(error))

    references: Sequence[tuple[str, str, dict[str, Any], str]] = (
        ("stage", "stage_id", lookups.stages, _("No stage is called “%(value)s”.")),
        (
            "learning_path",
            "learning_path_id",
            lookups.paths,
            _("No learning path is called “%(value)s”."),
        ),
        ("sprint", "sprint_id", lookups.sprints, _("No sprint is called “%(value)s”.")),
        ("release", "release_id", lookups.releases, _("No release is called “%(value)s”.")),
    )
    for name, attribute, known, message in references:
        text = cells.get(name, "")
        if not text:
            continue
        found = known.get(normalize(text))
        if found is None:
            fail(name, message % {"value": text})
        elif isinstance(found, Sprint) and found.state != SprintState.PLANNED:
            # A started sprint's scope changes with a reason, from its plan (sprints.scope);
            # a closed one's no longer changes.
            fail(
                name,
                _(
                    "The sprint “%(value)s” has started or is closed: leave the sprint empty, "
                    "then add the bricks from the sprint's plan (with a reason).",
                    value=text,
                ),
            )
        else:
            values[attribute] = found.id

    owner_text = cells.get("owner", "")
    if owner_text:
        owner = lookups.owners_by_email.get(owner_text.lower())
        if owner is None:
            namesakes = lookups.owners_by_name.get(normalize(owner_text), [])
            if len(namesakes) > 1:
                fail(
                    "owner",
                    _(
                        "Several people are called “%(value)s”: give the e-mail address.",
                        value=owner_text,
                    ),
                )
            elif namesakes:
                owner = namesakes[0]
            else:
                fail(
                    "owner",
                    _(
                        "“%(value)s” is not a manager or designer of this academy.",
                        value=owner_text,
                    ),
                )
        if owner is not None:
            values["owner_id"] = owner.id

    language_text = cells.get("language", "")
    if language_text:
        language = _LANGUAGES.get(normalize(language_text))
        if language is None and _LANGUAGE_RE.match(language_text.lower()):
            language = language_text.lower()
        if language is None:
            fail(
                "language",
                _(
                    "Unknown language “%(value)s”: use a code such as fr or en.",
                    value=language_text,
                ),
            )
        else:
            values["language"] = language
    else:
        values["language"] = lookups.academy.default_locale
    return row


def plan_import(
    session: Session, academy: Academy, filename: str, data: bytes
) -> ImportPlan[ImportRow]:
    """The dry run: what each row of the file would create, and what is wrong with it."""
    # Leading empty rows are skipped (a title row above the header is not).
    found, rows = read_file(filename, data, COLUMNS)
    found.require(
        lambda names: _("The first row must name the columns; missing: %(columns)s.", columns=names)
    )
    # The key is written by the export for people to read: a new brick gets a new key.
    names = [name if name != "key" else None for name in found.names]
    plan: ImportPlan[ImportRow] = ImportPlan(
        columns=[name for name in names if name is not None], ignored_columns=found.ignored
    )
    lookups = _lookups(session, academy)
    # Only a CSV carries the export's formula guard; an Excel cell holds the text itself.
    unguard = str if spreadsheets.is_xlsx(filename) else spreadsheets.unguard
    for line, cells in rows:
        texts = {
            name: unguard(cell.strip())
            for name, cell in zip(names, cells, strict=False)
            if name is not None
        }
        if not any(texts.values()):
            continue  # nothing in the columns read (blank lines often end a sheet)
        if len(plan.rows) >= spreadsheets.MAX_ROWS:
            raise ImportFileError(
                ngettext(
                    "The file has more than %(num)s brick: split it.",
                    "The file has more than %(num)s bricks: split it.",
                    spreadsheets.MAX_ROWS,
                )
            )
        plan.rows.append(_check_row(line, texts, lookups))
    if not plan.rows:
        raise ImportFileError(_("The file has a header but no brick."))
    for row, message in _beyond_wip_limits(session, academy, plan.rows):
        row.fail("stage", message)
    return plan


def _beyond_wip_limits(
    session: Session, academy: Academy, rows: Sequence[ImportRow]
) -> list[tuple[ImportRow, str]]:
    """The rows a full column refuses: a blocking WIP limit holds for an import as on the
    board (board.services), counted under the board lock when the import is applied."""
    first: Stage | None = None
    room: dict[int, int] = {}
    refused = []
    for row in rows:
        if not row.ok:
            continue
        stage_id = row.values.get("stage_id")
        if stage_id is None:
            first = first or services.first_stage(session, academy)
            stage_id = first.id
        stage = session.get(Stage, stage_id)
        if stage is None or stage.wip_limit is None or stage.wip_policy != WipPolicy.BLOCK:
            continue
        if stage_id not in room:
            count = session.scalar(select(func.count(Brick.id)).where(Brick.stage_id == stage_id))
            room[stage_id] = stage.wip_limit - int(count or 0)
        if room[stage_id] <= 0:
            refused.append(
                (
                    row,
                    ngettext(
                        "%(stage)s is full: its limit is %(num)s card. Import this brick "
                        "into another stage.",
                        "%(stage)s is full: its limit is %(num)s cards. Import this brick "
                        "into another stage.",
                        stage.wip_limit,
                        stage=stage.name,
                    ),
                )
            )
        room[stage_id] -= 1
    return refused


def import_bricks(
    session: Session,
    academy: Academy,
    plan: ImportPlan[ImportRow],
    *,
    actor: User | None,
    now: dt.datetime,
) -> list[Brick]:
    """Create every row's brick at the bottom of the backlog, in file order; flushes only.

    The caller commits once, so that the import is all or nothing.

    Board rules: a row's brick is created straight in the stage the file names. A blocking
    WIP limit holds (the dry run refuses the rows beyond a full column's room, and the count
    is made again here under the board lock). The definition of done is not asked to enter a
    done stage: an import records where work already stands, as the spreadsheet kept until
    now says, rather than moving cards.
    """
    if not plan.ok:
        raise DomainError(_("Correct the file: nothing is imported while a row is wrong."))
    ranking.lock_backlog(session, academy.id)  # the board lock: the WIP limits hold
    refused = _beyond_wip_limits(session, academy, plan.rows)
    if refused:
        row, message = refused[0]
        raise DomainError(_("Line %(line)s: %(message)s", line=row.line, message=message))
    created = []
    for row in plan.rows:
        values = dict(row.values)
        title, brick_format = values.pop("title"), values.pop("format")
        try:
            created.append(
                services.create_brick(
                    session,
                    academy,
                    actor=actor,
                    title=title,
                    format=brick_format,
                    now=now,
                    **values,
                )
            )
        except DomainError as error:
            raise DomainError(
                _("Line %(line)s: %(message)s", line=row.line, message=error.message)
            ) from error
    return created


# -- Export -------------------------------------------------------------------------------------


def export_row(brick: Brick, key_prefix: str) -> list[Any]:
    """A brick as the export writes it, in COLUMNS order (references by name, owner by e-mail)."""
    return [
        f"{key_prefix}-{brick.number}",
        brick.title,
        brick.summary,
        brick.description,
        brick.format.value,
        brick.learner_minutes,
        brick.estimate_points,
        brick.stage.name if brick.stage else "",
        brick.learning_path.name if brick.learning_path else "",
        brick.sprint.name if brick.sprint else "",
        brick.release.name if brick.release else "",
        brick.owner.email if brick.owner else "",
        brick.vendor,
        brick.target_audience,
        brick.language,
        brick.prerequisites,
        brick.content_url,
    ]


def export_csv(bricks: Iterable[Brick], key_prefix: str) -> bytes:
    """The header and a row per brick, for Excel (see spreadsheets.write_csv)."""
    header = [column.name for column in COLUMNS]
    return spreadsheets.write_csv([header, *(export_row(b, key_prefix) for b in bricks)])


_XLSX_WIDTHS = {"title": 40, "summary": 40, "description": 50, "owner": 28}


def export_xlsx(bricks: Iterable[Brick], key_prefix: str, *, title: str = "Backlog") -> bytes:
    header = [column.name for column in COLUMNS]
    return spreadsheets.write_xlsx(
        title,
        [header, *(export_row(b, key_prefix) for b in bricks)],
        widths=[_XLSX_WIDTHS.get(name, 16) for name in header],
    )


TEMPLATE_EXAMPLES: tuple[tuple[str, ...], ...] = (
    ("", "Cybersécurité : les bons réflexes", "Reconnaître un courriel piégé", "", "micro_learning",
     "15", "2", "", "", "", "", "", "", "Tous les salariés", "fr", "", ""),
    ("", "Manager à distance", "", "", "Classe virtuelle", "90", "5", "", "", "", "", "", "",
     "Managers", "fr", "", ""),
)  # fmt: skip


def template_csv() -> bytes:
    """An empty import file with its header and two example rows."""
    return spreadsheets.write_csv([[column.name for column in COLUMNS], *TEMPLATE_EXAMPLES])


# The backlog import, for the flow and pages of tracker/imports_web.py (backlog/import_views.py).
RULES = ImportRules(columns=COLUMNS, check=plan_import, apply=import_bricks, sample=template_csv)
