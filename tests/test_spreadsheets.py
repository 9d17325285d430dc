"""Spreadsheet files: CSV and XLSX as spreadsheets write them, read back as text; the files every
export writes; the one guard that keeps a cell from running as a formula."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.factories import csv_bytes, xlsx_bytes
from tracker import spreadsheets
from tracker.spreadsheets import ImportFileError

pytestmark = pytest.mark.usefixtures("english_request")


ROWS = [["titre", "durée"], ["Sécurité à l'écran", "12"], ["Œuvre €", ""]]


# -- Reading CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "encoding", "bom"),
    [
        (";", "utf-8", codecs.BOM_UTF8),  # Excel's "CSV UTF-8"
        (",", "utf-8", b""),
        (";", "cp1252", b""),  # Excel in French on Windows
        ("\t", "utf-16-le", codecs.BOM_UTF16_LE),  # Excel's "Unicode text"
        (",", "utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_csv_in_odd_encodings_and_separators_reads_the_same(sep, encoding, bom) -> None:
    data = csv_bytes(ROWS, sep, encoding, bom)

    assert spreadsheets.read_csv(data) == ROWS


def test_the_separator_is_the_header_s_commonest() -> None:
    # A comma inside a French title does not fool it: the header has more semicolons.
    data = b"title;format;summary\r\nA, B;video;x\r\n"

    assert spreadsheets.read_csv(data) == [["title", "format", "summary"], ["A, B", "video", "x"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (codecs.BOM_UTF8 + b"caf\xe9", "says it is UTF-8 but is not"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "says it is UTF-16 but is not"),
        (b"\x81\x8d\x8f\x90\x9d", "could not be read: save it as CSV UTF-8"),
        (b"a;b\x00c", r"not a text \(CSV\) file"),
        (b"a;" + b"x" * 200_000, "malformed"),  # a field over the csv module's limit
    ],
)
def test_unreadable_csv_says_why(data, message) -> None:
    with pytest.raises(ImportFileError, match=message) as refused:
        spreadsheets.read_csv(data)

    assert refused.value.field == "file"


# -- Reading XLSX and choosing by extension -------------------------------------------------------


def test_xlsx_cells_read_as_the_text_people_typed() -> None:
    data = xlsx_bytes(
        [
            ["title", "n", "when", "ok"],
            ["A", 90.0, dt.datetime(2026, 3, 2, 9, 30), True],
            ["B", 2.5],
        ]
    )

    rows = spreadsheets.read_table("bricks.XLSX", data)

    assert rows == [
        ["title", "n", "when", "ok"],
        ["A", "90", "2026-03-02T09:30:00", "1"],  # Excel stores a date as a date and time
        ["B", "2.5", "", ""],  # a short row is read as wide as the sheet
    ]


def test_xlsx_stops_reading_past_the_row_limit(monkeypatch) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    data = xlsx_bytes([[f"row {n}"] for n in range(20)])

    assert len(spreadsheets.read_xlsx(data)) == 5  # enough to tell "more than 3"


def test_an_xlsx_that_would_inflate_too_much_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_UNPACKED_BYTES", 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 10_000)  # compresses to little

    with pytest.raises(ImportFileError, match="too large once unpacked"):
        spreadsheets.read_xlsx(buffer.getvalue())


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("x.xlsx", b"PK but not a zip", "not an Excel"),
        ("x.xlsx", xlsx_bytes([["a"]])[:-40], "not an Excel"),  # cut short: no directory
        ("x.pdf", b"%PDF-1.4", "Import a .csv or .xlsx file"),
        ("x.csv", b" \r\n\t", "The file is empty"),
    ],
)
def test_read_table_refuses_what_it_cannot_read(filename, data, message) -> None:
    with pytest.raises(ImportFileError, match=message):
        spreadsheets.read_table(filename, data)


def test_read_table_refuses_a_file_over_the_limit_rounding_up(monkeypatch) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_FILE_BYTES", 2048)

    with pytest.raises(ImportFileError) as refused:
        spreadsheets.read_table("x.csv", b"a" * 2049)

    assert refused.value.message == ("The file is too large (3 kB): import at most 2 kB at a time.")


# -- The formula guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # already looks guarded: one more quote, so that unguard gives it back
        ("''", "'''"),
        ("'", "'"),  # a lone quote is text
        ("l'école", "l'école"),
        ("", ""),
        (None, ""),
        (12, 12),
    ],
)
def test_guard_quotes_what_a_spreadsheet_would_run(value, written) -> None:
    assert spreadsheets.guard(value) == written


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "''=x", "-", "-2", "'", "plain", "l'é", "@"])
def test_unguard_gives_back_what_guard_was_given(text) -> None:
    assert spreadsheets.unguard(spreadsheets.guard(text)) == text


# -- Writing --------------------------------------------------------------------------------------


def test_write_csv_is_what_excel_in_french_opens_as_columns() -> None:
    body = spreadsheets.write_csv([["key", "title"], ["K-1", "=cmd"], ["K-2", "Été; hiver"]])

    assert body.startswith(codecs.BOM_UTF8)
    assert body.decode("utf-8-sig") == 'key;title\r\nK-1;\'=cmd\r\nK-2;"Été; hiver"\r\n'
    assert spreadsheets.read_csv(body) == [
        ["key", "title"],
        ["K-1", "'=cmd"],
        ["K-2", "Été; hiver"],
    ]


def test_write_xlsx_keeps_text_as_text_and_numbers_as_numbers() -> None:
    body = spreadsheets.write_xlsx(
        "Q1: a/b [test] with a title longer than Excel allows",
        [["title", "n"], ['=HYPERLINK("x")', 3], ["bell\x07 and tab\t", None]],
        widths=[40, 8],
        freeze="B2",
    )

    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    assert sheet.title == "Q1  a b  test  with a title lon"  # 31 characters, none of :/[]
    assert sheet.cell(row=2, column=1).value == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=1).data_type == "s"  # a string, not a formula
    assert sheet.cell(row=2, column=2).value == 3
    assert sheet.cell(row=3, column=1).value == "bell and tab\t"  # XML cannot hold \x07
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["A"].width == 40
