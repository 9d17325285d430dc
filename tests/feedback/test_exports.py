"""Exports of answers and items, parsed back from the files."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from tests.factories import (
    add_brick,
    add_item,
    add_question,
    add_round,
    make_release,
    make_user,
    respond,
)
from tracker import spreadsheets
from tracker.feedback import exports
from tracker.feedback.models import ItemStatus, QuestionKind, ResponseState, Severity


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))


def read_xlsx(body: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def build(db_session, world, *, anonymous: bool):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=anonymous)
    first = add_brick(db_session, world.academy, release, "Intro video")
    second = add_brick(db_session, world.academy, release, "Quiz")
    rating = add_question(db_session, round_, QuestionKind.RATING, "Overall satisfaction")
    per_brick = add_question(db_session, round_, QuestionKind.RATING, "This brick", per_brick=True)
    multi = add_question(
        db_session, round_, QuestionKind.MULTI_CHOICE, "Devices", choices=["Phone", "Laptop"]
    )
    yes_no = add_question(db_session, round_, QuestionKind.YES_NO, "Apply it?")
    text = add_question(db_session, round_, QuestionKind.TEXT, "Improve what?")
    alice = make_user(db_session, name="Alice Martin")
    respond(
        db_session, round_,
        {rating: 5, per_brick: {first: 4, second: 2}, multi: ["Phone", "Laptop"], yes_no: True,
         text: "=HYPERLINK(\"http://evil\")"},
        respondent=alice, business_unit="Sales", site="Lyon", language="fr",
    )  # fmt: skip
    respond(db_session, round_, {rating: 3, per_brick: {first: 5}, yes_no: False},
            business_unit="IT", site="Paris", language="en")  # fmt: skip
    respond(db_session, round_, {rating: 1}, respondent=alice, submitted=False)
    return round_, first, second


def test_answers_csv_has_a_row_per_submitted_response_and_a_column_per_brick(
    db_session, world
) -> None:
    round_, first, second = build(db_session, world, anonymous=False)

    with force_locale("en"):
        body, mimetype, name = exports.export_round(db_session, round_, "answers", "csv")

    rows = read_csv(body)
    header, data = rows[0], rows[1:]
    assert mimetype.startswith("text/csv")
    assert name == f"round-{round_.id}-answers.csv"
    assert len(data) == 2  # the draft is not exported
    assert header[:8] == [
        "#", "Name", "E-mail", "Submitted at", "Business unit", "Job family", "Site", "Language",
    ]  # fmt: skip
    assert header[8:] == [
        "Q1. Overall satisfaction",
        f"Q2. This brick [{first.key} Intro video]",
        f"Q2. This brick [{second.key} Quiz]",
        "Q3. Devices",
        "Q4. Apply it?",
        "Q5. Improve what?",
    ]
    alice = dict(zip(header, data[0], strict=True))
    assert alice["Name"] == "Alice Martin"
    assert alice["Business unit"] == "Sales"
    assert alice["Q1. Overall satisfaction"] == "5"
    assert alice[f"Q2. This brick [{second.key} Quiz]"] == "2"
    assert alice["Q3. Devices"] == "Phone | Laptop"
    assert alice["Q4. Apply it?"] == "Yes"
    # A tester's text never becomes a formula in Excel.
    assert alice["Q5. Improve what?"] == '\'=HYPERLINK("http://evil")'
    other = dict(zip(header, data[1], strict=True))
    assert other["Name"] == ""
    assert other[f"Q2. This brick [{second.key} Quiz]"] == ""
    assert other["Q4. Apply it?"] == "No"


def test_anonymous_answers_carry_segments_and_no_names(db_session, world) -> None:
    round_, _, _ = build(db_session, world, anonymous=True)

    with force_locale("en"):
        csv_body, _, _ = exports.export_round(db_session, round_, "answers", "csv")
        xlsx_body, _, _ = exports.export_round(db_session, round_, "answers", "xlsx")

    for rows in (read_csv(csv_body), read_xlsx(xlsx_body)):
        header = rows[0]
        assert "Name" not in header and "E-mail" not in header and "Submitted at" not in header
        assert header[1:5] == ["Business unit", "Job family", "Site", "Language"]
        flat = " ".join(str(v) for row in rows for v in row)
        assert "Alice" not in flat and "@example.com" not in flat
        assert {row[1] for row in rows[1:]} == {"Sales", "IT"}


def test_answers_xlsx_reads_back_with_numbers_as_numbers(db_session, world) -> None:
    round_, _, _ = build(db_session, world, anonymous=False)

    with force_locale("en"):
        body, mimetype, _ = exports.export_round(db_session, round_, "answers", "xlsx")

    rows = read_xlsx(body)
    assert mimetype == spreadsheets.XLSX_MIMETYPE
    assert len(rows) == 3
    alice = dict(zip(rows[0], rows[1], strict=True))
    assert alice["Q1. Overall satisfaction"] == 5
    # Stored as text, not as a formula.
    assert alice["Q5. Improve what?"] == '=HYPERLINK("http://evil")'


@pytest.mark.parametrize("anonymous", [False, True])
def test_items_export_has_their_fields(db_session, world, anonymous: bool) -> None:
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=anonymous)
    brick = add_brick(db_session, world.academy, release, "Intro video")
    reporter = make_user(db_session, name="Rita Reporter")
    original = add_item(
        db_session, round_, title="Sound too low", brick=brick, location="02:13",
        severity=Severity.BLOCKING, reporter=reporter, description="Très bas",
    )  # fmt: skip
    add_item(db_session, round_, title="Same", status=ItemStatus.DUPLICATE,
             duplicate_of_id=original.id)  # fmt: skip

    with force_locale("en"):
        csv_rows = read_csv(exports.export_round(db_session, round_, "items", "csv")[0])
        xlsx_rows = read_xlsx(exports.export_round(db_session, round_, "items", "xlsx")[0])

    for rows in (csv_rows, xlsx_rows):
        header = rows[0]
        first = dict(zip(header, rows[1], strict=True))
        second = dict(zip(header, rows[2], strict=True))
        assert str(first["Item"]) == str(original.id)
        assert (first["Kind"], first["Severity"], first["Status"]) == ("Problem", "Blocking", "New")
        assert (first["Brick"], first["Brick title"]) == (brick.key, "Intro video")
        assert (first["Where"], first["Title"], first["Description"]) == (
            "02:13", "Sound too low", "Très bas",
        )  # fmt: skip
        assert str(second["Duplicate of"]) == str(original.id)
        assert ("Reported by" in header) is (not anonymous)
        if not anonymous:
            assert first["Reported by"] == "Rita Reporter"


def test_drafts_are_not_exported(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    question = add_question(db_session, round_, QuestionKind.RATING)
    draft = respond(db_session, round_, {question: 4}, submitted=False)
    assert draft.state == ResponseState.DRAFT

    table = exports.answers_table(db_session, round_)

    assert table.rows == []
