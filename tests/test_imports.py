"""What every import shares: headers read loosely, rows with their line in the file, the plan of
a dry run, and the upload parked between the dry run and the confirmation."""

from __future__ import annotations

import json

import pytest
from flask import Blueprint

from tracker import imports, imports_web
from tracker.auth.permissions import Permission as P
from tracker.errors import DomainError
from tracker.imports import Column, DiskUploads, ImportPlan, ImportRow
from tracker.spreadsheets import ImportFileError

pytestmark = pytest.mark.usefixtures("english_request")


COLUMNS = (
    Column("title", ("titre",), required=True),
    Column("learner_minutes", ("durée", "duration")),
    Column("format", (), required=True),
)


# -- Headers and rows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("  Durée apprenant ", "duree apprenant"),
        ("Learner_Minutes", "learner minutes"),
        ("e-mail", "e mail"),
        ("ÉTAPE", "etape"),
    ],
)
def test_names_compare_without_case_accents_or_separators(text, same_as) -> None:
    assert imports.normalize(text) == same_as


def test_a_header_names_columns_by_alias_and_ignores_unknown_or_repeated_ones() -> None:
    header = imports.read_header(["Titre", "colour", "", "DURÉE", "title"], COLUMNS)

    assert header.names == ["title", None, None, "learner_minutes", None]
    assert header.ignored == ["colour", "title"]
    assert header.missing == ["format"]
    with pytest.raises(ImportFileError) as refused:
        header.require(lambda names: f"Missing: {names}.")
    assert refused.value.message == "Missing: format."
    assert refused.value.field == "file"


def test_rows_keep_their_line_in_the_file_past_blank_ones() -> None:
    table = [["", " "], ["title", "format"], ["A", "video"], [], ["", ""], ["B", "mooc"]]

    header, rows = imports.data_rows(table)

    assert header == ["title", "format"]
    assert rows == [(3, ["A", "video"]), (6, ["B", "mooc"])]
    assert imports.data_rows([[], [" "]]) == ([], [])


def test_read_file_reads_the_header_against_the_columns() -> None:
    header, rows = imports.read_file("x.csv", b"\xef\xbb\xbfTitre;format\r\nA;video\r\n", COLUMNS)

    assert (header.names, header.missing, rows) == (["title", "format"], [], [(2, ["A", "video"])])
    with pytest.raises(ImportFileError, match="The file is empty"):
        imports.read_file("x.csv", b"\r\n;;\r\n", COLUMNS)


def test_a_plan_is_ok_only_with_rows_and_none_wrong() -> None:
    good = ImportRow(line=2, outcome="new")
    bad = ImportRow(line=3, outcome="new")
    bad.fail("title", "The title is missing.")

    assert not ImportPlan().ok
    assert ImportPlan(rows=[good]).ok
    plan = ImportPlan(rows=[good, bad, ImportRow(line=4, outcome="update")])
    assert not plan.ok and plan.error_count == 1
    assert (plan.count("new"), plan.count("update"), plan.count("profile")) == (2, 1, 0)


# -- The upload parked between the dry run and the confirmation ----------------------------------


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_parked_upload_comes_back_to_the_same_person_in_the_same_academy(tmp_path) -> None:
    store = DiskUploads(tmp_path / "imports")

    token = store.park(academy_id=1, user_id=7, filename="panel.csv", data=b"a;b\r\n")

    assert len(token) == 32
    assert store.load(token, academy_id=1, user_id=7) == ("panel.csv", b"a;b\r\n")
    for academy_id, user_id in ((2, 7), (1, 8)):
        with pytest.raises(DomainError, match="This import has expired") as refused:
            store.load(token, academy_id=academy_id, user_id=user_id)
        assert refused.value.field == "file"


def test_a_parked_upload_expires_after_its_lifetime(tmp_path) -> None:
    clock = Clock()
    store = DiskUploads(tmp_path, lifetime=3600, clock=clock)
    token = store.park(academy_id=1, user_id=7, filename="x.csv", data=b"x")

    clock.now += 3600
    assert store.load(token, academy_id=1, user_id=7) == ("x.csv", b"x")  # just in time
    clock.now += 1
    with pytest.raises(DomainError, match="expired"):
        store.load(token, academy_id=1, user_id=7)


def test_old_uploads_are_deleted_when_a_new_one_is_parked(tmp_path) -> None:
    clock = Clock()
    store = DiskUploads(tmp_path, lifetime=60, clock=clock)
    old = store.park(academy_id=1, user_id=7, filename="old.csv", data=b"old")
    # Two minutes later (a file's age is read from the disk).
    clock.now = (tmp_path / f"{old}.json").stat().st_mtime + 120

    fresh = store.park(academy_id=1, user_id=7, filename="new.csv", data=b"new")

    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{fresh}.json", f"{fresh}.upload"]


@pytest.mark.parametrize("token", ["", "../../secret_key", "x" * 31, "x" * 32, "é" * 32])
def test_a_bad_token_is_expired_and_reads_nothing(tmp_path, token) -> None:
    (tmp_path / "secret_key").write_text("secret")
    store = DiskUploads(tmp_path / "imports")

    with pytest.raises(DomainError, match="expired"):
        store.load(token, academy_id=1, user_id=7)
    store.discard(token)  # nothing to do, and no error

    assert (tmp_path / "secret_key").exists()


def test_a_discarded_or_damaged_upload_is_gone(tmp_path) -> None:
    store = DiskUploads(tmp_path)
    gone = store.park(academy_id=1, user_id=7, filename="x.csv", data=b"x")
    damaged = store.park(academy_id=1, user_id=7, filename="y.csv", data=b"y")
    (tmp_path / f"{damaged}.json").write_text("{not json", encoding="utf-8")

    store.discard(gone)

    assert not list(tmp_path.glob(f"{gone}.*"))
    for token in (gone, damaged):
        with pytest.raises(DomainError, match="expired"):
            store.load(token, academy_id=1, user_id=7)


def test_the_metadata_says_whose_upload_it_is(tmp_path) -> None:
    clock = Clock(1234.5)
    token = DiskUploads(tmp_path, clock=clock).park(
        academy_id=3, user_id=9, filename="é.csv", data=b""
    )

    meta = json.loads((tmp_path / f"{token}.json").read_text(encoding="utf-8"))

    assert meta == {"academy_id": 3, "user_id": 9, "filename": "é.csv", "at": 1234.5}


# -- Routes ---------------------------------------------------------------------------------------


def test_routes_go_on_the_blueprint_their_endpoints_name() -> None:
    class Wrong(imports_web.Importer[None]):
        endpoints = ("backlog.import_upload", "backlog.import_confirm", "backlog.import_template")

    with pytest.raises(ValueError, match=r"backlog\.import_upload is not an endpoint of"):
        imports_web.add_routes(
            Blueprint("other", __name__), Wrong(), "/x", P.BACKLOG_IMPORT, "x.csv"
        )
