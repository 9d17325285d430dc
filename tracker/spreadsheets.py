"""Spreadsheet files: CSV and XLSX read into rows of text, written for Excel, never as formulas.

Reading is forgiving where spreadsheets differ (a BOM, `;` or `,` or a tab, UTF-8, UTF-16 or
Windows-1252) and refuses what it cannot read with an ImportFileError that says why. Writing
gives what DLMs open in Excel: CSV in UTF-8 with a BOM and `;` between columns, or XLSX whose
text cells stay text. Every export goes through `guard`, so a cell that a spreadsheet would run
as a formula (CSV injection) is written with a leading quote, which `unguard` removes again.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from tracker.errors import DomainError

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The largest file an import reads (the view reads one byte more, to tell "too large").
MAX_FILE_BYTES = 2 * 1024 * 1024
# The most rows an import takes from a file (each import says so in its own words).
MAX_ROWS = 5000
# Caps checked while reading, before any import looks at a row: a longer cell (the longest text
# an import takes is a brick's description, 50,000 characters), more columns, more lines (blank
# ones included) stop the reading there with a message.
MAX_CELL_CHARS = 50_000
MAX_COLUMNS = 200
MAX_LINES = 10 * MAX_ROWS
# An XLSX is a zip: refuse one that would inflate beyond this (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024
# In an XLSX's XML, a text run longer than this many bytes cannot be a cell an import takes (a
# character is at most 4 bytes in UTF-8, 6 as an entity): the file is refused before openpyxl
# reads it (openpyxl loads every shared string at once, so a 62 MB cell would hold a worker).
MAX_XML_TEXT_BYTES = 6 * MAX_CELL_CHARS
_XML_CHUNK = 256 * 1024

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (hence XLSX) cannot hold.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ImportFileError(DomainError):
    """The file as a whole cannot be read (format, encoding, size, header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


# -- The formula guard ----------------------------------------------------------------------------


def _guarded(text: str) -> bool:
    return len(text) > 1 and text[0] == "'" and text[1:].startswith((*FORMULA_START, "'"))


def guard(value: Any) -> Any:
    """A leading quote keeps a spreadsheet from running a cell as a formula (CSV injection).

    A text that already looks guarded gets one more quote, so that `unguard`, which removes
    exactly one, gives the text back unchanged (an exported backlog imports back as it was).
    """
    if isinstance(value, str) and (value.startswith(FORMULA_START) or _guarded(value)):
        return "'" + value
    return "" if value is None else value


def unguard(text: str) -> str:
    """Undo `guard` on a cell read back from a CSV: '=x was written for =x."""
    return text[1:] if _guarded(text) else text


# -- Reading --------------------------------------------------------------------------------------


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


def bounded(rows: Iterable[Sequence[Any]], max_rows: int | None = None) -> list[list[str]]:
    """The rows as text, read until a cap is passed: more than MAX_ROWS rows that are not blank
    (besides the header), MAX_LINES lines, MAX_COLUMNS columns or a cell of MAX_CELL_CHARS
    characters stop the reading with an ImportFileError (nothing past it is read). An import
    that takes more rows gives `max_rows` (and ten times as many lines)."""
    max_lines = MAX_LINES if max_rows is None else 10 * max_rows
    max_rows = MAX_ROWS if max_rows is None else max_rows
    table: list[list[str]] = []
    filled = 0
    for line, values in enumerate(rows, start=1):
        if len(values) > MAX_COLUMNS:
            raise ImportFileError(
                ngettext(
                    "Line %(line)s: more than %(count)s column.",
                    "Line %(line)s: more than %(count)s columns.",
                    MAX_COLUMNS,
                    line=line,
                    count=format_decimal(MAX_COLUMNS),
                )
            )
        cells = [_cell_text(value) for value in values]
        for column, cell in enumerate(cells, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise ImportFileError(
                    ngettext(
                        "Line %(line)s, column %(column)s: the cell holds more than %(count)s "
                        "character.",
                        "Line %(line)s, column %(column)s: the cell holds more than %(count)s "
                        "characters.",
                        MAX_CELL_CHARS,
                        line=line,
                        column=column,
                        count=format_decimal(MAX_CELL_CHARS),
                    )
                )
        filled += any(cell.strip() for cell in cells)
        if filled > max_rows + 1 or line > max_lines:
            raise ImportFileError(
                ngettext(
                    "The file has more than %(count)s row: split it.",
                    "The file has more than %(count)s rows: split it.",
                    max_rows,
                    count=format_decimal(max_rows),
                )
            )
        table.append(cells)
    return table


def read_csv(data: bytes, max_rows: int | None = None) -> list[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError(_("This is not a text (CSV) file."))
    try:
        return bounded(csv.reader(io.StringIO(text), delimiter=_separator(text)), max_rows)
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


def longest_text_run(stream: IO[bytes], limit: int) -> bool:
    """Whether the XML in `stream` holds a text run (bytes between two tags) longer than
    `limit`; reads by chunks no longer than `limit` (so a run within one chunk is short enough)
    and stops at the first run too long."""
    run = 0
    while chunk := stream.read(min(_XML_CHUNK, limit)):
        first = chunk.find(b"<")
        if first < 0:
            run += len(chunk)
        elif run + first > limit:
            return True
        else:
            run = len(chunk) - chunk.rfind(b"<") - 1
        if run > limit:
            return True
    return False


def _check_xlsx_cells(archive: zipfile.ZipFile) -> None:
    """Refuse an XLSX whose strings or sheets hold a text longer than any cell an import takes,
    before openpyxl reads it."""
    for info in archive.infolist():
        name = info.filename
        if name == "xl/sharedStrings.xml" or name.startswith("xl/worksheets/"):
            with archive.open(info) as member:
                if longest_text_run(member, MAX_XML_TEXT_BYTES):
                    raise ImportFileError(
                        ngettext(
                            "A cell holds more than %(count)s character.",
                            "A cell holds more than %(count)s characters.",
                            MAX_CELL_CHARS,
                            count=format_decimal(MAX_CELL_CHARS),
                        )
                    )


def read_xlsx(data: bytes, max_rows: int | None = None) -> list[list[str]]:
    """The first sheet's rows as text, within the caps of `bounded`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(_("This is not an Excel (XLSX) file.")) from None
    try:
        with archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise ImportFileError(_("This Excel file is too large once unpacked."))
            _check_xlsx_cells(archive)
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            warnings.simplefilter("ignore")
            return _first_sheet(data, max_rows)
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise ImportFileError(
            _("The Excel file could not be read (%(kind)s).", kind=type(error).__name__)
        ) from None


def _first_sheet(data: bytes, max_rows: int | None = None) -> list[list[str]]:
    from openpyxl import load_workbook  # slow to import, and only imports need it

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The Excel file has no sheet."))
        return bounded(workbook.worksheets[0].iter_rows(values_only=True), max_rows)
    finally:
        workbook.close()


def is_xlsx(filename: str) -> bool:
    return Path(filename or "").suffix.lower() == ".xlsx"


def read_table(
    filename: str, data: bytes, *, max_rows: int | None = None, max_bytes: int | None = None
) -> list[list[str]]:
    """The file's rows as text (header first), by its extension. An import that takes larger
    files (an LMS's completion report) gives its own caps."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    if len(data) > max_bytes:
        raise ImportFileError(
            _(
                "The file is too large (%(size)s kB): import at most %(max)s kB at a time.",
                size=-(-len(data) // 1024),  # rounded up: never "too large (2 kB), max 2 kB"
                max=max_bytes // 1024,
            )
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    extension = Path(filename or "").suffix.lower()
    if extension == ".xlsx":
        return read_xlsx(data, max_rows)
    if extension in (".csv", ".txt"):
        return read_csv(data, max_rows)
    raise ImportFileError(_("Import a .csv or .xlsx file."))


# -- Writing --------------------------------------------------------------------------------------


def write_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM and `;` between columns: what Excel in French opens as columns.

    Excel reads a CSV without BOM as Windows-1252 (accents come out garbled), and in a French
    locale it splits on `;`, the list separator there since `,` is the decimal comma.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([guard(value) for value in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def write_xlsx(
    title: str,
    rows: Iterable[Sequence[Any]],
    *,
    widths: Sequence[float] = (),
    freeze: str = "A2",
) -> bytes:
    """One sheet: text cells stay text (never formulas), numbers stay numbers.

    `widths` are the first columns' widths in characters; `freeze` the top-left cell that
    scrolls (A2: the header row stays in view).
    """
    # openpyxl is slow to import, and only exports need it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    # Sheet titles: at most 31 characters, none of []:*?/\ .
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = freeze
    for row in rows:
        cells: list[Any] = []
        for value in row:
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
