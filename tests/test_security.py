"""The security baseline: response headers, cookies, CSRF on every form, a request size limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import make_test_app
from tests.factories import PASSWORD


def csp_directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def responses_of_every_kind(client, world, login):  # type: ignore[no-untyped-def]
    """An HTML page, a redirect, a 404, a 403, a static file, JSON, a download, a form error."""
    yield "login page", client.get("/login")
    yield "redirect", client.get("/account")
    yield "404", client.get("/no/such/page")
    static = client.get("/static/css/brique.css")
    static.close()  # a file response: release the file (headers stay readable)
    yield "static", static
    yield "json", client.get("/healthz")
    yield "login error", client.post("/login", data={"email": "x@example.com", "password": "y"})
    login(world.tester)
    yield "403", client.get(f"/a/{world.academy.slug}/settings")
    yield "academy home", client.get(f"/a/{world.academy.slug}/")
    yield "download", client.get("/account/export")


def test_security_headers_on_every_response(client, db_session, world, login):
    for kind, response in responses_of_every_kind(client, world, login):
        headers = response.headers
        csp = csp_directives(response)
        assert csp["default-src"] == "'self'", kind
        assert "unsafe-inline" not in csp["script-src"], kind
        assert "unsafe-eval" not in csp["script-src"], kind
        assert csp["frame-ancestors"] == "'none'", kind
        assert csp["object-src"] == "'none'", kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
        assert headers["X-Frame-Options"] == "DENY", kind
        assert "Strict-Transport-Security" not in headers, kind  # plain HTTP here


def test_no_page_uses_inline_script_or_style(client, db_session, world, login):
    """The CSP forbids them: a page relying on one would silently break."""
    for kind, response in responses_of_every_kind(client, world, login):
        if response.mimetype != "text/html":
            continue
        body = response.get_data(as_text=True)
        assert "<script>" not in body and "<script type" not in body, kind
        assert " style=" not in body and "<style" not in body, kind
        assert "onclick=" not in body and "onchange=" not in body, kind


def test_html_with_personal_data_is_not_cached(client, db_session, world, login):
    login(world.manager)

    response = client.get(f"/a/{world.academy.slug}/members")

    assert response.headers["Cache-Control"] == "no-store"


def session_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("brique_session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_session_cookie_is_httponly_and_lax_without_secure_over_http(client, db_session):
    from tests.factories import make_user

    user = make_user(db_session)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    cookie = session_cookie_header(response)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in attributes
    assert "expires" in attributes  # a lasting login (PERMANENT_SESSION_LIFETIME)


@pytest.fixture(scope="module")
def https_app(engine, database_url, tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = make_test_app(
        database_url, tmp_path_factory.mktemp("https"), BASE_URL="https://brique.example.com/"
    )
    yield app
    app.extensions["database"].engine.dispose()


def test_cookies_are_secure_and_hsts_sent_when_served_over_https(https_app):
    response = https_app.test_client().get("/login", base_url="https://brique.example.com")

    assert https_app.config["BASE_URL"] == "https://brique.example.com"
    cookie = session_cookie_header(response)
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "secure" in attributes
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_secure_cookies_can_be_forced_off_behind_a_tls_terminating_test_setup(
    engine, database_url, tmp_path
):
    app = make_test_app(
        database_url, tmp_path, BASE_URL="https://brique.example.com", SESSION_COOKIE_SECURE=False
    )
    try:
        response = app.test_client().get("/login")
        cookie = session_cookie_header(response)
        assert "secure" not in {part.strip().lower() for part in cookie.split(";")[1:]}
    finally:
        app.extensions["database"].engine.dispose()


# -- CSRF ---------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(client, db_session):
    from tests.factories import make_user

    user = make_user(db_session)

    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        csrf=False,
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 400
    assert "The form had expired or came from elsewhere" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/account",
        "/account/password",
        "/logout",
        "/language",
        "/academies/new",
        "/a/{slug}/settings",
        "/a/{slug}/members/invite",
    ],
)
def test_form_routes_refuse_a_post_without_csrf_token(client, db_session, world, login, path):
    login(world.admin)

    response = client.post(path.format(slug=world.academy.slug), data={}, csrf=False)

    assert response.status_code == 400


def test_a_forged_csrf_token_is_refused(client, db_session, world, login):
    login(world.admin)

    response = client.post(
        "/academies/new",
        data={"name": "X", "slug": "x-x", "key_prefix": "XX", "csrf_token": "forged"},
        csrf=False,
    )

    assert response.status_code == 400


def test_a_csrf_token_from_another_session_is_refused(app, client, db_session, world, login):
    attacker = app.test_client()
    with attacker.session_transaction() as session:
        session["csrf_token"] = "the-attackers-raw-token"
    token = attacker._csrf_token()  # valid, but for the attacker's own session
    login(world.admin)

    response = client.post(
        "/academies/new",
        data={"name": "X", "slug": "x-x", "key_prefix": "XX", "csrf_token": token},
        csrf=False,
    )

    assert response.status_code == 400


# -- Request size -------------------------------------------------------------------------------


def test_a_request_over_the_size_limit_is_413(client, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)

    response = client.post(
        "/login",
        data={"email": "x@example.com", "password": "p" * 2000},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 413
    assert "<h1>Too large</h1>" in response.get_data(as_text=True)


def test_the_default_size_limit_is_16_mib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_a_request_just_under_the_limit_is_processed(client, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)

    response = client.post("/login", data={"email": "x@example.com", "password": "p" * 200})

    assert response.status_code == 422  # read and answered, not refused for its size
