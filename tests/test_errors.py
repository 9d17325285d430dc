"""Error pages: every status in French and English, JSON for clients that ask, never a traceback."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import pytest
from flask import Flask, abort
from flask_babel import force_locale
from sqlalchemy import text
from werkzeug.exceptions import TooManyRequests

from tests.conftest import make_test_app
from tracker.db import db
from tracker.errors_web import MESSAGES
from tracker.web import public

CODES = [400, 403, 404, 405, 413, 422, 429, 500]
LEAKS = ["Traceback", "File \"", "no_such_table", "secret_column", "SELECT", "sqlalchemy",
         "RuntimeError", "/srv/brique"]  # fmt: skip


@pytest.fixture(scope="module")
def error_app(engine, database_url, tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A separate app (production-like: exceptions are not propagated) with test-only routes."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("errors"), PROPAGATE_EXCEPTIONS=False)

    @app.route("/test-only/abort/<int:code>", methods=["GET", "POST"])
    @public
    def abort_with(code: int) -> None:
        abort(code)

    @app.route("/test-only/sql")
    @public
    def broken_sql() -> None:
        db.session.execute(text("SELECT secret_column FROM no_such_table"))

    @app.route("/test-only/bug")
    @public
    def bug() -> None:
        raise RuntimeError("internal detail in /srv/brique/tracker/secret.py")

    @app.route("/test-only/throttle")
    @public
    def throttle() -> None:
        raise TooManyRequests(retry_after=42)

    @app.route("/test-only/undeclared")
    def undeclared() -> str:  # no access marker: refused to everyone
        return "should never be seen"

    yield app
    app.extensions["database"].engine.dispose()


def expected_texts(app: Flask, code: int, locale: str) -> tuple[str, str]:
    with app.test_request_context(), force_locale(locale):
        title, message = MESSAGES[code]
        return str(title), str(message)


def assert_no_leak(body: str) -> None:
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} shown to the user"


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_error_page_in_both_languages(error_app, code, locale):
    client = error_app.test_client()

    response = client.get(f"/test-only/abort/{code}", headers={"Accept-Language": locale})

    assert response.status_code == code
    assert response.mimetype == "text/html"
    body = html.unescape(response.get_data(as_text=True))
    title, message = expected_texts(error_app, code, locale)
    assert f'<html lang="{locale}">' in body
    assert f"<h1>{title}</h1>" in body
    assert f"<p>{message}</p>" in body
    assert_no_leak(body)


@pytest.mark.parametrize("code", CODES)
def test_error_titles_are_translated(error_app, code):
    assert expected_texts(error_app, code, "fr") != expected_texts(error_app, code, "en")


def test_the_session_language_wins_over_the_browser(error_app):
    client = error_app.test_client()
    with client.session_transaction() as session:
        session["locale"] = "en"

    body = client.get("/test-only/abort/404", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )

    assert '<html lang="en">' in body
    assert "<h1>Page not found</h1>" in body


def test_french_is_the_default(error_app):
    body = error_app.test_client().get("/test-only/abort/404").get_data(as_text=True)

    assert '<html lang="fr">' in body
    assert expected_texts(error_app, 404, "fr")[0] in body


@pytest.mark.parametrize("path", ["/test-only/sql", "/test-only/bug"])
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_crash_is_a_500_page_without_traceback_or_sql(error_app, path, locale):
    response = error_app.test_client().get(path, headers={"Accept-Language": locale})

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert expected_texts(error_app, 500, locale)[0] in body
    assert f'<html lang="{locale}">' in body
    assert_no_leak(body)


def test_a_crash_leaves_the_next_request_working(error_app):
    client = error_app.test_client()
    client.get("/test-only/sql")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_a_crash_answers_json_to_json_clients(error_app):
    response = error_app.test_client().get(
        "/test-only/sql", headers={"Accept": "application/json", "Accept-Language": "en"}
    )

    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "about:blank",
        "status": 500,
        "title": "Something went wrong",
        "detail": "An unexpected error occurred. It has been logged; try again in a moment.",
    }
    assert_no_leak(response.get_data(as_text=True))


@pytest.mark.parametrize("code", CODES)
def test_json_errors_for_clients_that_ask_for_json(error_app, code):
    response = error_app.test_client().get(
        f"/test-only/abort/{code}", headers={"Accept": "application/json", "Accept-Language": "fr"}
    )

    assert response.status_code == code
    assert response.mimetype == "application/problem+json"
    error = json.loads(response.get_data(as_text=True))
    assert error["status"] == code and error["type"] == "about:blank"
    assert error["title"] == expected_texts(error_app, code, "fr")[0]


def test_api_paths_always_answer_json(error_app):
    response = error_app.test_client().get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_a_browser_accepting_anything_gets_html(error_app):
    response = error_app.test_client().get(
        "/nothing-here",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_retry_after_is_kept_on_the_429_page(error_app):
    response = error_app.test_client().get("/test-only/throttle")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"


def test_a_view_without_access_rule_is_refused(error_app):
    response = error_app.test_client().get("/test-only/undeclared")

    assert response.status_code == 403
    assert "should never be seen" not in response.get_data(as_text=True)


# -- The same errors, raised by the real application --------------------------------------------


def test_unknown_page_is_404(client, db_session):
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)


def test_unknown_academy_is_404(client, db_session, login, world):
    login(world.manager)

    assert client.get("/a/no-such-academy/").status_code == 404


def test_wrong_method_is_405_with_allow(client, db_session):
    response = client.get("/logout", headers={"Accept-Language": "en"})

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "<h1>Method not allowed</h1>" in response.get_data(as_text=True)


def test_forbidden_page_is_403_in_the_readers_language(client, db_session, login, world):
    login(world.tester)  # locale "en" in the factories

    response = client.get(f"/a/{world.academy.slug}/settings")

    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "<h1>Not allowed</h1>" in body


def test_a_bad_id_in_a_form_route_is_404_not_500(client, db_session, login, world):
    login(world.admin)

    assert client.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404
    assert client.get("/admin/outbox/999999").status_code == 404
    assert client.post(f"/a/{world.academy.slug}/members/999999/role").status_code == 404
    assert client.post(f"/a/{world.academy.slug}/invitations/999999/revoke").status_code == 404


def test_a_connection_lost_while_the_session_closes_keeps_the_answer(
    engine, database_url, tmp_path
):  # type: ignore[no-untyped-def]
    """The database going away between the answer and the session's closing ROLLBACK (seen
    under load in tests/ops/test_multi_host.py): the answer stands, the session is thrown away
    (its connection not returned to the pool), no 500."""
    from flask import g
    from sqlalchemy.exc import OperationalError

    app = make_test_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    closing: list[str] = []

    class DroppedSession:
        def close(self) -> None:
            closing.append("close")
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

        def invalidate(self) -> None:
            closing.append("invalidate")

    @app.route("/test-only/dropped")
    @public
    def dropped() -> str:
        g._db_session = DroppedSession()
        return "answered"

    response = app.test_client().get("/test-only/dropped")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "answered")
    assert closing == ["close", "invalidate"]
