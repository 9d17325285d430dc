"""Imports from spreadsheets, the part services use: columns and headers read loosely, the rows
of a file with their line numbers, the plan of rows a dry run makes, an import's rules, and the
upload parked between the dry run and the confirmation.

An import declares its rules beside its services (`ImportRules`: the columns, the dry run
`check` that writes nothing, the `apply` that imports a checked plan, all rows or none, and the
template file). Its pages and routes come from tracker/imports_web.py.

Between the dry run and the confirmation the uploaded file waits under a random token (an
`UploadStore`), not in a hidden form field: a file of a few megabytes does not fit Werkzeug's
form-field limit (500 kB), nor should the browser send it twice. The application parks it in
the database (`DatabaseUploads`, table parked_upload): the confirmation may reach another
server than the dry run did.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker import spreadsheets
from tracker.db import Base, UTCDateTime
from tracker.errors import DomainError
from tracker.spreadsheets import ImportFileError
from tracker.tokens import hash_token

if TYPE_CHECKING:
    from tracker.academies.models import Academy
    from tracker.auth.models import User

RowT = TypeVar("RowT", bound="ImportRow")
ResultT = TypeVar("ResultT")
ResultT_co = TypeVar("ResultT_co", covariant=True)

UPLOAD_LIFETIME_SECONDS = 3600


# -- Columns and headers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # the header written on export, and the canonical name read on import
    aliases: tuple[str, ...] = ()  # other headers accepted (French and English labels)
    required: bool = False
    max_length: int | None = None


def normalize(text: str) -> str:
    """Compare names loosely: case, accents, spaces, dashes and underscores do not count."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", bare).strip()


@dataclass
class Header:
    names: list[str | None]  # each header cell's column name (None: ignored)
    ignored: list[str]  # the headers not understood (or repeated), as written
    missing: list[str]  # required columns the header does not name

    def require(self, message: Callable[[str], str]) -> None:
        """ImportFileError when a required column is missing: `message` given their names."""
        if self.missing:
            raise ImportFileError(message(", ".join(self.missing)))


def read_header(cells: Sequence[str], columns: Sequence[Column]) -> Header:
    """Which column each header cell names; a repeated or unknown one is ignored."""
    known = {
        normalize(alias): column.name
        for column in columns
        for alias in (column.name, *column.aliases)
    }
    names: list[str | None] = []
    ignored: list[str] = []
    for cell in cells:
        name = known.get(normalize(cell or ""))
        if name is None or name in names:
            names.append(None)
            if (cell or "").strip():
                ignored.append(cell.strip())
        else:
            names.append(name)
    missing = [column.name for column in columns if column.required and column.name not in names]
    return Header(names, ignored, missing)


def data_rows(table: Sequence[Sequence[str]]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (the first row not blank) and the rows below it that are not blank, each with
    its line (CSV) or row (Excel) number in the file, the first being 1. ([], []) when blank."""
    numbered = [
        (line, list(cells))
        for line, cells in enumerate(table, start=1)
        if any((cell or "").strip() for cell in cells)
    ]
    if not numbered:
        return [], []
    (_line, header), *rows = numbered
    return header, rows


def read_file(
    filename: str, data: bytes, columns: Sequence[Column], **caps: int
) -> tuple[Header, list[tuple[int, list[str]]]]:
    """The file's header, read against `columns`, and its rows that are not blank (each with
    its line number). ImportFileError when the file cannot be read or is blank. `caps`:
    spreadsheets.read_table's max_rows and max_bytes, for an import that takes larger files."""
    header, rows = data_rows(spreadsheets.read_table(filename, data, **caps))
    if not header:
        raise ImportFileError(_("The file is empty."))
    return read_header(header, columns), rows


# -- The plan a dry run makes ---------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int  # the line (CSV) or row (Excel) number in the file, the header being 1
    values: dict[str, Any] = field(default_factory=dict)  # what the import will use
    shown: dict[str, str] = field(default_factory=dict)  # what the dry run shows per column
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    outcome: str = ""  # what importing it would do, when an import tells ("new", "update"...)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, column: str, message: str) -> None:
        self.errors.append((column, message))


@dataclass
class ImportPlan(Generic[RowT]):
    rows: list[RowT] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the columns the dry run shows, in order
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


# -- The upload parked between the dry run and the confirmation ----------------------------------


class UploadStore(Protocol):
    """Where an uploaded file waits for its confirmation: only the person who uploaded it, in
    the same academy, within UPLOAD_LIFETIME_SECONDS, may take it back."""

    def park(self, *, academy_id: int, user_id: int, filename: str, data: bytes) -> str:
        """Keep the file; return the random token that names it."""
        ...

    def load(self, token: str, *, academy_id: int, user_id: int) -> tuple[str, bytes]:
        """(filename, content) parked under `token`, or DomainError when expired or not theirs."""
        ...

    def discard(self, token: str) -> None: ...


def upload_expired() -> DomainError:
    return DomainError(_("This import has expired: upload the file again."), field="file")


_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


class ParkedUpload(Base):
    """An uploaded file waiting for its confirmation (DatabaseUploads); the token is only
    hashed, and the row goes when confirmed, discarded or expired (purge_uploads)."""

    shown_on_pages = False  # tracker.changes: written by work no page validator shows

    __tablename__ = "parked_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def purge_uploads(session: Session, *, now: dt.datetime) -> int:
    """Delete the parked uploads whose time is over (flushes); how many went."""
    result = session.execute(
        delete(ParkedUpload)
        .where(ParkedUpload.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class DatabaseUploads:
    """Parked uploads in the database, shared by every server: the dry run may be served by
    one host and the confirmation by another. Expired ones are purged at each new one (and by
    the worker). Flushes, never commits: the caller's transaction keeps or drops them."""

    def __init__(
        self, session: Session, *, now: dt.datetime, lifetime: float = UPLOAD_LIFETIME_SECONDS
    ) -> None:
        self.session = session
        self.now = now
        self.lifetime = lifetime

    def park(self, *, academy_id: int, user_id: int, filename: str, data: bytes) -> str:
        purge_uploads(self.session, now=self.now)
        token = secrets.token_urlsafe(24)  # 32 characters
        self.session.add(
            ParkedUpload(
                token_hash=hash_token(token),
                academy_id=academy_id,
                user_id=user_id,
                filename=filename[:255],
                data=data,
                expires_at=self.now + dt.timedelta(seconds=self.lifetime),
            )
        )
        self.session.flush()
        return token

    def load(self, token: str, *, academy_id: int, user_id: int) -> tuple[str, bytes]:
        if not _TOKEN_RE.match(token or ""):
            raise upload_expired()
        parked = self.session.scalar(
            select(ParkedUpload).where(ParkedUpload.token_hash == hash_token(token))
        )
        if (
            parked is None
            or parked.academy_id != academy_id
            or parked.user_id != user_id
            or parked.expires_at < self.now
        ):
            raise upload_expired()
        return parked.filename, parked.data

    def discard(self, token: str) -> None:
        if _TOKEN_RE.match(token or ""):
            self.session.execute(
                delete(ParkedUpload)
                .where(ParkedUpload.token_hash == hash_token(token))
                .execution_options(synchronize_session=False)
            )


# -- An import's rules ----------------------------------------------------------------------------


class Apply(Protocol[ResultT_co]):
    """An import of a checked plan: flushes, never commits; all rows or none."""

    def __call__(
        self,
        session: Session,
        academy: Academy,
        plan: ImportPlan[Any],
        *,
        actor: User | None,
        now: dt.datetime,
    ) -> ResultT_co: ...


@dataclass(frozen=True)
class ImportRules(Generic[ResultT]):
    """An import's domain side, declared beside its services (no request, no pages)."""

    columns: Sequence[Column]  # what the file may hold (the upload page lists them)
    # The dry run: every row checked against the academy; writes nothing; ImportFileError
    # when the file as a whole cannot be read.
    check: Callable[[Session, Academy, str, bytes], ImportPlan[Any]]
    # The import: a Conflict means the academy changed meanwhile (the file is checked again
    # and shown with 409); another DomainError refuses it (422).
    apply: Apply[ResultT]
    sample: Callable[[], bytes]  # the template file: the header and example rows
