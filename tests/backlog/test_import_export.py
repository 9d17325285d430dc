"""Import bricks from CSV or XLSX (dry run, then confirm) and export the filtered backlog."""

from __future__ import annotations

import codecs
import csv
import io
import re

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import csv_bytes, make_brick, make_member, xlsx_bytes
from tracker import spreadsheets
from tracker.academies.models import Role
from tracker.backlog import io as backlog_io
from tracker.backlog.models import Activity, ActivityKind, Brick, BrickFormat, LearningPath
from tracker.releases.models import Release
from tracker.sprints.models import Sprint


def url(world, suffix: str = "") -> str:
    return f"/a/{world.academy.slug}/backlog{suffix}"


def upload(client, world, filename: str, data: bytes):
    return client.post(
        url(world, "/import"),
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def token_in(response) -> str:
    match = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no confirmation form"
    return match.group(1)


def bricks_of(db_session, academy) -> list[Brick]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(Brick).where(Brick.academy_id == academy.id).order_by(Brick.rank, Brick.id)
        )
    )


@pytest.fixture
def planning(db_session, world):
    sprint = Sprint(academy_id=world.academy.id, name="Sprint 1")
    release = Release(academy_id=world.academy.id, name="V1 — rentrée")
    path = LearningPath(academy_id=world.academy.id, name="Cybersécurité")
    db_session.add_all([sprint, release, path])
    db_session.flush()
    return sprint, release, path


HEADER = [
    "title",
    "format",
    "learner_minutes",
    "estimate_points",
    "learning_path",
    "sprint",
    "release",
    "owner",
]


# -- Dry run and confirmation ----------------------------------------------------------------------


def test_a_csv_is_checked_then_imported_on_confirmation(client, db_session, world, login, planning):
    sprint, release, path = planning
    data = csv_bytes(
        [
            [
                "Titre",
                "Format",
                "Durée",
                "Points",
                "Parcours",
                "Sprint",
                "Livraison",
                "Responsable",
            ],
            [
                "Les bons réflexes",
                "Jeu sérieux",
                "1h30",
                "3",
                "cybersecurite",
                "sprint 1",
                "V1 — rentrée",
                world.designer.email,
            ],
            ["Phishing", "micro_learning", "15", "", "", "", "", "Dan Designer"],
        ],
        bom=True,
    )
    login(world.manager)

    dry_run = upload(client, world, "backlog.csv", data)

    assert dry_run.status_code == 200
    assert "2 bricks are ready to be imported" in dry_run.get_data(as_text=True)
    assert bricks_of(db_session, world.academy) == []  # nothing yet

    confirmed = client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})

    assert confirmed.status_code == 303
    first, second = bricks_of(db_session, world.academy)
    # Back to the list, at the first new brick (on the first page: no page argument).
    assert confirmed.headers["Location"] == url(world) + f"#brick-{first.number}"
    assert (first.title, first.format, first.learner_minutes, first.estimate_points) == (
        "Les bons réflexes",
        BrickFormat.SERIOUS_GAME,
        90,
        3,
    )
    assert (first.learning_path_id, first.sprint_id, first.release_id, first.owner_id) == (
        path.id,
        sprint.id,
        release.id,
        world.designer.id,
    )
    assert (second.format, second.owner_id, second.language) == (
        BrickFormat.MICRO_LEARNING,
        world.designer.id,
        "en",
    )
    kinds = db_session.scalars(select(Activity.kind).where(Activity.brick_id == first.id)).all()
    assert kinds == [ActivityKind.CREATED]
    # The same token cannot import twice.
    again = client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})
    assert again.status_code == 422
    assert len(bricks_of(db_session, world.academy)) == 2


def test_every_wrong_row_is_reported_and_nothing_is_imported(
    client, db_session, world, login, planning
):
    data = csv_bytes(
        [
            HEADER,
            ["Good one", "video", "30", "2", "", "", "", ""],
            ["Bad format", "hologram", "", "", "", "", "", ""],
            ["Bad number", "video", "a lot", "2.5", "", "", "", ""],
            ["", "video", "", "", "", "", "", ""],
            ["Unknown refs", "video", "-5", "", "Nowhere", "Sprint 9", "V9", "nobody@example.com"],
            ["Tester owner", "video", "", "", "", "", "", world.tester.email],
        ]
    )
    login(world.manager)

    response = upload(client, world, "bad.csv", data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5 rows are wrong" in html
    for message in (
        "Unknown format “hologram”",
        "“a lot” is not a number",
        "Use a whole number (2.5)",
        "The title is missing",
        "Use a number of zero or more",
        "No learning path is called “Nowhere”",
        "No sprint is called “Sprint 9”",
        "No release is called “V9”",
        "“nobody@example.com” is not a manager or designer",
        f"“{world.tester.email}” is not a manager",
    ):
        assert message in html, message
    assert 'name="token"' not in html  # no way to confirm
    assert bricks_of(db_session, world.academy) == []


def test_a_row_that_became_wrong_since_the_dry_run_stops_the_import(
    client, db_session, world, login, planning
):
    sprint, _release, _path = planning
    data = csv_bytes(
        [
            HEADER,
            ["A", "video", "", "", "", "", "", ""],
            ["B", "video", "", "", "", "Sprint 1", "", ""],
        ]
    )
    login(world.manager)
    dry_run = upload(client, world, "plan.csv", data)
    db_session.delete(sprint)
    db_session.flush()

    response = client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})

    assert response.status_code == 422
    assert "No sprint is called" in response.get_data(as_text=True)
    assert bricks_of(db_session, world.academy) == []


def test_someone_else_cannot_confirm_my_upload(client, db_session, world, login):
    login(world.manager)
    dry_run = upload(client, world, "a.csv", csv_bytes([["title", "format"], ["A", "video"]]))
    client.post("/logout")
    colleague = make_member(db_session, world.academy, Role.MANAGER)
    login(colleague)

    response = client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})

    assert response.status_code == 422
    assert bricks_of(db_session, world.academy) == []


@pytest.mark.parametrize("token", ["", "../../secret_key", "x" * 32])
def test_a_bad_token_is_refused(client, world, login, token):
    login(world.manager)

    response = client.post(url(world, "/import/confirm"), data={"token": token})

    assert response.status_code == 422
    assert "upload the file again" in response.get_data(as_text=True)


# -- Reading files as spreadsheets write them ------------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "encoding", "bom"),
    [
        (";", "utf-8", True),
        (",", "utf-8", False),
        (";", "cp1252", False),
        ("\t", "utf-8", True),
        (",", "utf-16", False),
    ],
)
def test_csv_separators_and_encodings(db_session, world, sep, encoding, bom):
    data = csv_bytes(
        [["titre", "format", "durée"], ["Sécurité à l'écran", "Vidéo", "12"]],
        sep=sep,
        encoding=encoding,
        bom=bom,
    )

    plan = backlog_io.plan_import(db_session, world.academy, "x.csv", data)

    assert plan.ok, plan.rows[0].errors
    assert plan.rows[0].values["title"] == "Sécurité à l'écran"
    assert plan.rows[0].values["format"] == BrickFormat.VIDEO
    assert plan.rows[0].values["learner_minutes"] == 12


def test_a_multiline_quoted_description_survives(db_session, world):
    data = csv_bytes(
        [["title", "format", "description"], ["A", "mooc", "Line 1\nLine 2; with a separator"]]
    )

    plan = backlog_io.plan_import(db_session, world.academy, "x.csv", data)

    assert plan.rows[0].values["description"] == "Line 1\nLine 2; with a separator"


def test_an_xlsx_is_read_with_numbers_as_excel_stores_them(client, db_session, world, login):
    data = xlsx_bytes(
        [
            [],
            ["title", "format", "learner_minutes", "estimate_points"],
            ["A", "Classe virtuelle", 90.0, 3],
            [None, None],
            ["B", "webinar", None, 5],
        ]
    )
    login(world.manager)

    dry_run = upload(client, world, "bricks.XLSX", data)
    assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[-2000:]
    client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})

    a, b = bricks_of(db_session, world.academy)
    assert (a.format, a.learner_minutes, a.estimate_points) == (BrickFormat.VIRTUAL_CLASS, 90, 3)
    assert (b.format, b.learner_minutes, b.estimate_points) == (BrickFormat.WEBINAR, None, 5)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("x.pdf", b"%PDF-1.4", "Import a .csv or .xlsx file"),
        ("x.xlsx", b"not a zip at all", "This is not an Excel (XLSX) file"),
        ("x.csv", b"", "The file is empty"),
        ("x.csv", b"title;format\r\n", "a header but no brick"),
        ("x.csv", b"name;kind\r\nA;video\r\n", "missing: title, format"),
        ("x.csv", b"\x81\x8d\x8f\x90\x9d", "could not be read"),
    ],
)
def test_files_that_cannot_be_read_say_why(client, world, login, filename, data, message):
    login(world.manager)

    response = upload(client, world, filename, data)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(client, world, login, monkeypatch):
    # A small limit: Werkzeug's test client spools large bodies to a file it never closes.
    monkeypatch.setattr(spreadsheets, "MAX_FILE_BYTES", 2048)
    login(world.manager)

    response = upload(client, world, "x.csv", b"title;format\r\n" + b"A;video\r\n" * 300)

    assert response.status_code == 422
    assert "The file is too large (3 kB): import at most 2 kB at a time." in response.get_data(
        as_text=True
    )


def test_too_many_rows_are_refused(db_session, world, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    data = csv_bytes([["title", "format"], *[[f"B{n}", "video"] for n in range(4)]])

    with (
        force_locale("en"),
        pytest.raises(spreadsheets.ImportFileError, match="more than 3 bricks"),
    ):
        backlog_io.plan_import(db_session, world.academy, "x.csv", data)


def test_unknown_columns_are_shown_as_ignored(client, world, login):
    login(world.manager)

    response = upload(
        client, world, "x.csv", csv_bytes([["title", "format", "colour"], ["A", "video", "red"]])
    )

    assert response.status_code == 200
    assert "Ignored columns (unknown names): colour" in response.get_data(as_text=True)


def test_the_import_page_documents_the_columns_and_offers_a_template(client, world, login):
    login(world.manager)

    page = client.get(url(world, "/import")).get_data(as_text=True)
    template = client.get(url(world, "/import/template.csv"))

    for column in backlog_io.COLUMNS:
        assert f"<code>{column.name}</code>" in page
    assert template.data.startswith(codecs.BOM_UTF8)
    assert template.data.decode("utf-8-sig").splitlines()[0] == ";".join(
        c.name for c in backlog_io.COLUMNS
    )


def test_the_template_itself_imports(db_session, world):
    plan = backlog_io.plan_import(
        db_session, world.academy, "template.csv", backlog_io.template_csv()
    )

    assert plan.ok, [row.errors for row in plan.rows]
    assert len(plan.rows) == 2


# -- Export ----------------------------------------------------------------------------------------


def make_backlog(db_session, world, planning) -> list[Brick]:
    sprint, release, path = planning
    return [
        make_brick(
            db_session,
            world.academy,
            "Sécurité : les réflexes",
            actor=world.manager,
            format="serious_game",
            learner_minutes=90,
            estimate_points=3,
            learning_path_id=path.id,
            sprint_id=sprint.id,
            release_id=release.id,
            owner_id=world.designer.id,
            summary="Résumé; avec séparateur",
            description='Ligne 1\n- point\n"citation"',
            vendor="Studio X",
            target_audience="Tous",
            language="fr",
            prerequisites="Aucun",
            content_url="https://example.com/a",
        ),
        make_brick(
            db_session,
            world.academy,
            '=HYPERLINK("http://evil")',
            actor=world.manager,
            summary="+1",
            vendor="@vendor",
            description="'- quoted",
        ),
        make_brick(
            db_session,
            world.academy,
            "Plain",
            actor=world.manager,
            format="document",
            language="en",
        ),
    ]


def test_the_csv_export_is_utf8_with_bom_and_semicolons_and_neutralizes_formulas(
    client, db_session, world, login, planning
):
    make_backlog(db_session, world, planning)
    login(world.designer)

    response = client.get(url(world, "/export.csv"))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["key", "title", "summary", "description", "format"]
    assert rows[1][1] == "Sécurité : les réflexes"
    assert rows[1][11] == world.designer.email
    assert rows[2][1] == '\'=HYPERLINK("http://evil")'
    assert rows[2][2] == "'+1"
    assert len(rows) == 4


def test_the_export_follows_the_filters(client, db_session, world, login, planning):
    make_backlog(db_session, world, planning)
    login(world.manager)

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(url(world, "/export.csv?format=video")).data.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )

    assert [r[4] for r in rows[1:]] == ["video"]


def test_the_xlsx_export_keeps_text_as_text(client, db_session, world, login, planning):
    make_backlog(db_session, world, planning)
    login(world.manager)

    response = client.get(url(world, "/export.xlsx"))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "title"
    assert values[2][1] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=3, column=2).data_type == "s"  # a string, not a formula
    assert values[1][5] == 90  # numbers stay numbers


FIELDS = (
    "title",
    "summary",
    "description",
    "format",
    "learner_minutes",
    "estimate_points",
    "stage_id",
    "learning_path_id",
    "sprint_id",
    "release_id",
    "owner_id",
    "vendor",
    "target_audience",
    "language",
    "prerequisites",
    "content_url",
)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_bricks(client, db_session, world, login, planning, fmt):
    originals = make_backlog(db_session, world, planning)
    before = [{f: getattr(b, f) for f in FIELDS} for b in originals]
    login(world.manager)
    exported = client.get(url(world, f"/export.{fmt}")).data

    dry_run = upload(client, world, f"backlog.{fmt}", exported)
    assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[-3000:]
    client.post(url(world, "/import/confirm"), data={"token": token_in(dry_run)})

    bricks = bricks_of(db_session, world.academy)
    assert len(bricks) == 6
    after = [{f: getattr(b, f) for f in FIELDS} for b in bricks[3:]]
    assert after == before
    assert (
        db_session.scalar(select(func.count(Brick.id)).where(Brick.academy_id == world.academy.id))
        == 6
    )
