"""Import bricks from CSV or XLSX (dry run, then confirm) and export the backlog to both.

Export and import share one list of columns, so an exported file imports back as the same
bricks. Reading is forgiving where spreadsheets differ (a BOM, `;` or `,`, UTF-8 or Windows-1252,
column names in French or English, format labels or codes) and strict about values: a dry run
reports every problem row by row, and nothing is imported while any row is wrong.

Between the dry run and the confirmation the uploaded file waits in the instance folder under
a random token (see `store_upload`), not in a hidden form field: a file of a few megabytes does
not fit Werkzeug's form-field limit (500 kB), nor should the browser send it twice.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import secrets
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role, Stage
from tracker.auth.models import User
from tracker.backlog import services
from tracker.backlog.labels import FORMAT_LABELS, parse_duration
from tracker.backlog.models import Brick, BrickFormat, LearningPath
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.releases.models import Release
from tracker.sprints.models import Sprint

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
# An XLSX is a zip: refuse one that would inflate beyond this (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024
UPLOAD_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class Column:
    name: str  # the header written on export, and the canonical name read on import
    aliases: tuple[str, ...] = ()  # other headers accepted (French and English labels)
    required: bool = False
    max_length: int | None = None
    number: bool = False


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
        number=True,
    ),
    Column("estimate_points", ("points", "estimate", "estimation"), number=True),
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

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


def normalize(text: str) -> str:
    """Compare names loosely: case, accents, spaces, dashes and underscores do not count."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", bare).strip()


_HEADERS: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.name, *_column.aliases):
        _HEADERS[normalize(_alias)] = _column.name
_FORMATS: dict[str, BrickFormat] = {}
for _format, _labels in FORMAT_NAMES.items():
    for _label in (_format.value, *_labels):
        _FORMATS[normalize(_label)] = _format
_LANGUAGES = {
    normalize(alias): code for code, aliases in LANGUAGE_NAMES.items() for alias in aliases
}


class ImportFileError(DomainError):
    """The file as a whole cannot be read (format, encoding, size, header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


# -- Reading a file into rows of text ---------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file says it is UTF-8 but is not.")) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file says it is UTF-16 but is not.")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # What Excel in French saves as "CSV (separator: semicolon)" on Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file's characters could not be read: save it as CSV UTF-8.")
        ) from None


def _separator(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError(_("This is not a text (CSV) file."))
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=_separator(text))]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed: %(error)s", error=str(error))) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> list[list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(_("This is not an Excel (XLSX) file.")) from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
            raise ImportFileError(_("This Excel file is too large once unpacked."))
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportFileError(_("The Excel file has no sheet."))
                sheet = workbook.worksheets[0]
                rows = []
                for values in sheet.iter_rows(values_only=True):
                    rows.append([_cell_text(value) for value in values])
                    if len(rows) > MAX_IMPORT_ROWS + 1:
                        break
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise ImportFileError(
            _("The Excel file could not be read (%(kind)s).", kind=type(error).__name__)
        ) from None
    return rows


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows as text (header first), by its extension."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            _(
                "The file is too large (%(size)s kB): import at most %(max)s kB at a time.",
                size=-(-len(data) // 1024),  # rounded up: never "too large (2 kB), max 2 kB"
                max=MAX_IMPORT_BYTES // 1024,
            )
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    extension = Path(filename or "").suffix.lower()
    if extension == ".xlsx":
        return read_xlsx(data)
    if extension in (".csv", ".txt"):
        return read_csv(data)
    raise ImportFileError(_("Import a .csv or .xlsx file."))


# -- Checking rows against the academy --------------------------------------------------------


@dataclass
class ImportRow:
    line: int  # the line (CSV) or row (Excel) number in the file, the header being 1
    values: dict[str, Any] = field(default_factory=dict)  # create_brick's arguments
    shown: dict[str, str] = field(default_factory=dict)  # what the dry run shows per column
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # recognized columns, in file order
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


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

    owners = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.academy_id == academy.id,
            Membership.role.in_((Role.MANAGER, Role.DESIGNER)),
        )
    ).all()
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


def _escaped(text: str) -> bool:
    return len(text) > 1 and text[0] == "'" and text[1:].startswith((*_FORMULA_START, "'"))


def _unescape(text: str) -> str:
    """Undo the CSV export's guard against formulas: '=x was written for =x (see _csv_safe)."""
    return text[1:] if _escaped(text) else text


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
    values = row.values

    def fail(column: str, message: str) -> None:
        row.errors.append((column, message))

    for name, text in cells.items():
        column = COLUMNS_BY_NAME[name]
        if column.max_length is not None and len(text) > column.max_length:
            fail(name, _("At most %(n)s characters.", n=column.max_length))
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


def _header(cells: Sequence[str]) -> tuple[list[str | None], list[str]]:
    """Each header cell's column name (None: ignored), and the ignored headers."""
    names: list[str | None] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for cell in cells:
        name = _HEADERS.get(normalize(cell))
        if name is None or name in seen:
            names.append(None)
            if cell.strip():
                ignored.append(cell.strip())
        else:
            names.append(name)
            seen.add(name)
    missing = [column.name for column in COLUMNS if column.required and column.name not in seen]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns; missing: %(columns)s.",
                columns=", ".join(missing),
            )
        )
    return names, ignored


def plan_import(session: Session, academy: Academy, filename: str, data: bytes) -> ImportPlan:
    """The dry run: what each row of the file would create, and what is wrong with it."""
    table = read_table(filename, data)
    # Leading empty rows are skipped (a title row above the header is not).
    start = next((i for i, cells in enumerate(table) if any(c.strip() for c in cells)), None)
    if start is None:
        raise ImportFileError(_("The file is empty."))
    names, ignored = _header(table[start])
    plan = ImportPlan(
        columns=[name for name in names if name is not None and name != "key"],
        ignored_columns=ignored,
    )
    lookups = _lookups(session, academy)
    # Only a CSV carries the export's quote guard; an Excel cell holds the text itself.
    unescape = _unescape if Path(filename or "").suffix.lower() != ".xlsx" else str
    for index, cells in enumerate(table[start + 1 :], start=start + 2):
        texts = {
            name: unescape(cell.strip())
            for name, cell in zip(names, cells, strict=False)
            if name is not None and name != "key"
        }
        if not any(texts.values()):
            continue  # blank lines, often at the end of a sheet
        if len(plan.rows) >= MAX_IMPORT_ROWS:
            raise ImportFileError(
                _("The file has more than %(n)s bricks: split it.", n=MAX_IMPORT_ROWS)
            )
        plan.rows.append(_check_row(index, texts, lookups))
    if not plan.rows:
        raise ImportFileError(_("The file has a header but no brick."))
    return plan


def import_bricks(
    session: Session, academy: Academy, plan: ImportPlan, *, actor: User | None
) -> list[Brick]:
    """Create every row's brick at the bottom of the backlog, in file order; flushes only.

    The caller commits once, so that the import is all or nothing.
    """
    if not plan.ok:
        raise DomainError(_("Correct the file: nothing is imported while a row is wrong."))
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
                    now=utcnow(),
                    **values,
                )
            )
        except DomainError as error:
            raise DomainError(
                _("Line %(line)s: %(message)s", line=row.line, message=error.message)
            ) from error
    return created


# -- Keeping the upload between the dry run and the confirmation --------------------------------


def _uploads(instance_path: str | Path) -> Path:
    folder = Path(instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _purge(folder: Path, now: float) -> None:
    for path in folder.glob("*.json"):
        try:
            if now - path.stat().st_mtime > UPLOAD_LIFETIME_SECONDS:
                path.with_suffix(".upload").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
        except OSError:
            continue


def store_upload(
    instance_path: str | Path, *, academy_id: int, user_id: int, filename: str, data: bytes
) -> str:
    """Keep an uploaded file for the confirmation step; returns its random token.

    Only the person who uploaded it, in the same academy, within an hour, may use it. Older
    uploads are deleted at each new one.
    """
    folder = _uploads(instance_path)
    now = time.time()
    _purge(folder, now)
    token = secrets.token_urlsafe(24)  # 32 characters
    (folder / f"{token}.upload").write_bytes(data)
    meta = {"academy_id": academy_id, "user_id": user_id, "filename": filename, "at": now}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def load_upload(
    instance_path: str | Path, token: str, *, academy_id: int, user_id: int
) -> tuple[str, bytes]:
    """The (filename, content) stored under `token`, if it is this person's and still fresh."""
    expired = DomainError(_("This import has expired: upload the file again."), field="file")
    if not _TOKEN_RE.match(token or ""):
        raise expired
    folder = _uploads(instance_path)
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        raise expired from None
    if (
        meta.get("academy_id") != academy_id
        or meta.get("user_id") != user_id
        or time.time() - float(meta.get("at", 0)) > UPLOAD_LIFETIME_SECONDS
    ):
        raise expired
    return str(meta.get("filename", "")), data


def discard_upload(instance_path: str | Path, token: str) -> None:
    if _TOKEN_RE.match(token or ""):
        folder = _uploads(instance_path)
        (folder / f"{token}.upload").unlink(missing_ok=True)
        (folder / f"{token}.json").unlink(missing_ok=True)


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


def _csv_safe(value: Any) -> Any:
    """A leading quote keeps a spreadsheet from running a cell as a formula (CSV injection).

    A text that already looks escaped gets one more quote, so that the import, which removes
    exactly one, gives the text back unchanged.
    """
    if isinstance(value, str) and (value.startswith(_FORMULA_START) or _escaped(value)):
        return "'" + value
    return "" if value is None else value


def export_csv(bricks: Iterable[Brick], key_prefix: str) -> bytes:
    """UTF-8 with a BOM and `;` between columns: what Excel in French opens as columns.

    Excel reads a CSV without BOM as Windows-1252 (accents come out garbled), and in a French
    locale it splits on `;`, the list separator there since `,` is the decimal comma.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    for brick in bricks:
        writer.writerow([_csv_safe(value) for value in export_row(brick, key_prefix)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def export_xlsx(bricks: Iterable[Brick], key_prefix: str, *, title: str = "Backlog") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    widths = {"title": 40, "summary": 40, "description": 50, "owner": 28}
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column.name, 16)
    sheet.freeze_panes = "A2"
    sheet.append([column.name for column in COLUMNS])
    for brick in bricks:
        cells = []
        for value in export_row(brick, key_prefix):
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=_ILLEGAL_XLSX.sub("", value))
                cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_EXAMPLES: tuple[tuple[str, ...], ...] = (
    ("", "Cybersécurité : les bons réflexes", "Reconnaître un courriel piégé", "", "micro_learning",
     "15", "2", "", "", "", "", "", "", "Tous les salariés", "fr", "", ""),
    ("", "Manager à distance", "", "", "Classe virtuelle", "90", "5", "", "", "", "", "", "",
     "Managers", "fr", "", ""),
)  # fmt: skip


def template_csv() -> bytes:
    """An empty import file with its header and two example rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    writer.writerows(TEMPLATE_EXAMPLES)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
