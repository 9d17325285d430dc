"""What every import shares: headers read loosely, rows with their line in the file, the plan of
a dry run, and the upload parked between the dry run and the confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from tests.factories import make_academy, make_user
from tracker import imports, imports_web
from tracker.auth.permissions import Permission as P
from tracker.errors import DomainError
from tracker.imports import (
    Column,
    DatabaseUploads,
    ImportPlan,
    ImportRow,
    ParkedUpload,
    purge_uploads,
)
from tracker.spreadsheets import ImportFileError
from tracker.tokens import hash_token

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


NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def owners(db_session):
    """Two academies and two people: uploads are parked for (academy, person)."""
    academy = make_academy(db_session)
    other = make_academy(db_session)
    return academy.id, other.id, make_user(db_session).id, make_user(db_session).id


def test_a_parked_upload_comes_back_to_the_same_person_in_the_same_academy(
    db_session, owners
) -> None:
    academy, other_academy, user, other_user = owners
    token = DatabaseUploads(db_session, now=NOW).park(
        academy_id=academy, user_id=user, filename="panel.csv", data=b"a;b\r\n"
    )

    assert len(token) == 32
    later = DatabaseUploads(db_session, now=NOW + dt.timedelta(minutes=5))
    assert later.load(token, academy_id=academy, user_id=user) == ("panel.csv", b"a;b\r\n")
    for academy_id, user_id in ((other_academy, user), (academy, other_user)):
        with pytest.raises(
            DomainError, match=r"This import has expired|Cet import a expiré"
        ) as refused:
            later.load(token, academy_id=academy_id, user_id=user_id)
        assert refused.value.field == "file"


def test_the_database_keeps_only_the_token_hash(db_session, owners) -> None:
    academy, _other, user, _user2 = owners
    token = DatabaseUploads(db_session, now=NOW).park(
        academy_id=academy, user_id=user, filename="x.csv", data=b"x"
    )

    stored = db_session.scalars(select(ParkedUpload.token_hash)).all()
    assert token not in stored and hash_token(token) in stored


def test_a_parked_upload_expires_after_its_lifetime(db_session, owners) -> None:
    academy, _other, user, _user2 = owners
    token = DatabaseUploads(db_session, now=NOW, lifetime=3600).park(
        academy_id=academy, user_id=user, filename="x.csv", data=b"x"
    )

    just_in_time = DatabaseUploads(db_session, now=NOW + dt.timedelta(seconds=3600))
    assert just_in_time.load(token, academy_id=academy, user_id=user) == ("x.csv", b"x")
    too_late = DatabaseUploads(db_session, now=NOW + dt.timedelta(seconds=3601))
    with pytest.raises(DomainError, match=r"expired|expiré"):
        too_late.load(token, academy_id=academy, user_id=user)


def test_expired_uploads_are_purged_when_a_new_one_is_parked(db_session, owners) -> None:
    academy, _other, user, _user2 = owners
    DatabaseUploads(db_session, now=NOW, lifetime=60).park(
        academy_id=academy, user_id=user, filename="old.csv", data=b"old"
    )
    kept = DatabaseUploads(db_session, now=NOW + dt.timedelta(seconds=30)).park(
        academy_id=academy, user_id=user, filename="kept.csv", data=b"kept"
    )

    DatabaseUploads(db_session, now=NOW + dt.timedelta(seconds=120)).park(
        academy_id=academy, user_id=user, filename="new.csv", data=b"new"
    )

    names = sorted(db_session.scalars(select(ParkedUpload.filename)))
    assert names == ["kept.csv", "new.csv"]
    assert hash_token(kept) in db_session.scalars(select(ParkedUpload.token_hash)).all()


def test_purge_deletes_only_what_expired(db_session, owners) -> None:
    academy, _other, user, _user2 = owners
    store = DatabaseUploads(db_session, now=NOW, lifetime=60)
    store.park(academy_id=academy, user_id=user, filename="a.csv", data=b"a")

    assert purge_uploads(db_session, now=NOW + dt.timedelta(seconds=60)) == 0
    assert purge_uploads(db_session, now=NOW + dt.timedelta(seconds=61)) == 1
    assert db_session.scalar(select(func.count()).select_from(ParkedUpload)) == 0


@pytest.mark.parametrize("token", ["", "../../secret_key", "x" * 31, "x" * 32, "é" * 32])
def test_a_bad_token_is_expired_and_reads_nothing(db_session, owners, token) -> None:
    academy, _other, user, _user2 = owners
    store = DatabaseUploads(db_session, now=NOW)

    with pytest.raises(DomainError, match=r"expired|expiré"):
        store.load(token, academy_id=academy, user_id=user)
    store.discard(token)  # nothing to do, and no error


def test_a_discarded_upload_is_gone(db_session, owners) -> None:
    academy, _other, user, _user2 = owners
    store = DatabaseUploads(db_session, now=NOW)
    gone = store.park(academy_id=academy, user_id=user, filename="x.csv", data=b"x")

    store.discard(gone)

    with pytest.raises(DomainError, match=r"expired|expiré"):
        store.load(gone, academy_id=academy, user_id=user)


# -- Routes ---------------------------------------------------------------------------------------


def test_routes_go_on_the_blueprint_their_endpoints_name() -> None:
    class Wrong(imports_web.Importer[None]):
        endpoints = ("backlog.import_upload", "backlog.import_confirm", "backlog.import_template")

    with pytest.raises(ValueError, match=r"backlog\.import_upload is not an endpoint of"):
        imports_web.add_routes(
            Blueprint("other", __name__), Wrong(), "/x", P.BACKLOG_IMPORT, "x.csv"
        )
