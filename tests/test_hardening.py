"""Hardening (issue 18.9): imports capped before any validation, NUL dropped from JSON bodies and
headers, LIKE wildcards taken literally in every search."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import select

from tests.factories import make_user
from tracker import spreadsheets
from tracker.academies.models import StageCategory
from tracker.auth.models import UserSession
from tracker.backlog.models import Activity, ActivityKind
from tracker.backlog.services import create_brick
from tracker.db import like_contains, utcnow
from tracker.mail.services import queue_mail


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def xlsx_with(cell: str) -> bytes:
    """A one-cell XLSX whose cell (a shared string) is `cell`, however long: the file is built
    by hand so that a 62 MB cell costs a compression, not openpyxl's writing it."""
    workbook = Workbook()
    workbook.active.append(["title"])
    workbook.active.append(["PLACEHOLDER"])
    source = io.BytesIO()
    workbook.save(source)
    target = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source.getvalue())) as original,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as rebuilt,
    ):
        for info in original.infolist():
            data = original.read(info)
            if b"PLACEHOLDER" in data:
                data = data.replace(b"PLACEHOLDER", cell.encode())
            rebuilt.writestr(info.filename, data)
    return target.getvalue()


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\r\n".join(";".join(row) for row in rows).encode("utf-8")


# -- Imports: caps before any validation ---------------------------------------------------------


def test_a_62_mb_cell_in_a_small_xlsx_is_refused_before_openpyxl_reads_it(monkeypatch):
    data = xlsx_with("a" * 62_000_000)
    assert len(data) < spreadsheets.MAX_FILE_BYTES  # small as a file

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not read this file")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(spreadsheets.ImportFileError, match="more than 50,000 characters"):
        spreadsheets.read_table("bricks.xlsx", data)


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.given = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.given += len(chunk)
        return chunk


def test_the_xml_scan_stops_at_the_first_run_too_long():
    stream = CountingStream(b"<t>" + b"a" * 10_000_000 + b"</t>")

    assert spreadsheets.longest_text_run(stream, 1000)
    assert stream.given <= 2 * 1000  # stopped there, not at the end of the 10 MB


def test_the_xml_scan_sees_runs_across_chunks_and_lets_short_ones_pass():
    short = b"".join(b"<c><v>" + b"x" * 900 + b"</v></c>" for _ in range(2000))
    long_between_chunks = b"<t>" + b"y" * 1500 + b"</t>"

    assert not spreadsheets.longest_text_run(io.BytesIO(short), 1000)
    assert spreadsheets.longest_text_run(io.BytesIO(short + long_between_chunks), 1000)


def test_a_cell_longer_than_any_field_is_refused_with_its_place():
    long_cell = "b" * (spreadsheets.MAX_CELL_CHARS + 1)

    for filename, data in (
        ("bricks.csv", csv_bytes([["title", "format"], ["Quiz", "video"], ["Two", long_cell]])),
        ("bricks.xlsx", xlsx_with(long_cell)),
    ):
        with pytest.raises(spreadsheets.ImportFileError, match="holds more than 50,000") as error:
            spreadsheets.read_table(filename, data)
        assert "column 2" in error.value.message if filename.endswith("csv") else True


def test_rows_columns_and_blank_lines_are_capped_while_reading(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    monkeypatch.setattr(spreadsheets, "MAX_LINES", 30)
    rows = [["title"], *[[f"B{n}"] for n in range(4)]]
    blank_lines = b"title\r\n" + b"\r\n" * 40 + b"Quiz\r\n"
    wide = csv_bytes([[f"c{n}" for n in range(spreadsheets.MAX_COLUMNS + 1)]])

    with pytest.raises(spreadsheets.ImportFileError, match="more than 3 rows"):
        spreadsheets.read_table("x.csv", csv_bytes(rows))
    with pytest.raises(spreadsheets.ImportFileError, match="more than 3 rows"):
        spreadsheets.read_table("x.csv", blank_lines)
    with pytest.raises(spreadsheets.ImportFileError, match="more than 200 columns"):
        spreadsheets.read_table("x.csv", wide)
    assert spreadsheets.read_table("x.csv", csv_bytes(rows[:4])) == rows[:4]


def test_a_huge_cell_in_an_uploaded_import_is_a_message_on_the_page(client, world, login):
    login(world.manager)
    data = xlsx_with("a" * 5_000_000)

    response = client.post(
        f"/a/{world.academy.slug}/backlog/import",
        data={"file": (io.BytesIO(data), "bricks.xlsx")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "A cell holds more than 50,000 characters." in response.get_data(as_text=True)


# -- NUL in JSON bodies and headers --------------------------------------------------------------


def test_a_board_move_with_a_nul_in_its_reason_is_saved_without_it(
    client, db_session, world, login
):
    stages = {s.category: s for s in world.academy.stages}
    review = next(s for s in world.academy.stages if s.name == "Review (alpha)")
    brick = create_brick(
        db_session, world.academy, actor=world.manager, title="Quiz", format="mooc",
        stage_id=review.id, now=utcnow(),
    )  # fmt: skip
    db_session.commit()
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/board/move",
        json={
            "brick": brick.number,
            "version": brick.version,
            "stage": stages[StageCategory.DONE].id,
            "override_reason\x00": "Sponsor\x00 sign-off",  # keys and values alike
        },
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    event = db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id, Activity.kind == ActivityKind.MOVED)
    ).one()
    assert event.note == "Sponsor sign-off"


def test_a_nul_in_a_header_is_dropped(client, db_session, world):
    response = client.post(
        "/login",
        data={"email": world.manager.email, "password": "correct horse battery staple"},
        headers={"User-Agent": "Mozilla\x00/5.0"},
    )

    assert response.status_code == 303
    agents = db_session.scalars(
        select(UserSession.user_agent).where(UserSession.user_id == world.manager.id)
    ).all()
    assert agents == ["Mozilla/5.0"]


# -- LIKE wildcards are literal ------------------------------------------------------------------


def test_like_patterns_escape_wildcards_and_the_escape_character():
    assert like_contains("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_searches_take_percent_and_underscore_literally(client, db_session, world, login):
    make_user(db_session, name="Cent pour 100% sûr")
    make_user(db_session, name="Under_score")
    queue_mail(
        db_session, to="someone@example.com", template="mail/added_to_academy",
        context={"academy": world.academy, "role": "tester", "actor": world.manager,
                 "link": "http://brique.test/"},
    )  # fmt: skip
    create_brick(
        db_session, world.academy, actor=world.manager, title="Quiz", format="video", now=utcnow()
    )
    db_session.commit()
    login(world.admin)

    percent = client.get("/admin/users?q=%25").get_data(as_text=True)
    underscore = client.get("/admin/users?q=_").get_data(as_text=True)
    outbox = client.get("/admin/outbox/?q=%25").get_data(as_text=True)

    assert "Cent pour 100% sûr" in percent and "Maya Manager" not in percent
    assert "Under_score" in underscore and "Maya Manager" not in underscore
    assert "someone@example.com" not in outbox
    assert "someone@example.com" in client.get("/admin/outbox/?q=someone").get_data(as_text=True)
