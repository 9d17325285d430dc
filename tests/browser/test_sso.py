"""Single sign-on in a real browser: Brique (gunicorn) → the OpenID provider (on loopback) →
back to Brique, logged in, on the academy; a refused domain gets a clear page."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask_babel import force_locale

from bench.server import clean_environment, serve
from tests.auth.provider import put_user, running_provider
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, _fresh_database
from tests.factories import make_academy, make_member
from tracker import create_app, migrate
from tracker.academies.models import Role
from tracker.db import db

pytestmark = pytest.mark.browser


@dataclass
class SsoServer:
    url: str
    issuer: str
    academy_slug: str
    academy_name: str
    member_email: str


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[SsoServer]:
    """Brique served with single sign-on on (only example.com addresses), on its own database
    with one academy and its manager (no password), and the provider it trusts."""
    workdir = tmp_path_factory.mktemp("sso_server")
    secret_key = secrets.token_urlsafe(32)
    with _fresh_database(workdir, "sso") as database_url, running_provider() as issuer:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key,
                          "LOG_LEVEL": "WARNING", "SMTP_HOST": ""})  # fmt: skip
        try:
            with app.app_context(), force_locale("en"):
                migrate.upgrade(db.engine)
                academy = make_academy(db.session, name="SSO Academy")
                manager = make_member(db.session, academy, Role.MANAGER, password=None,
                                      email="lea.sso@example.com", name="Léa SSO")  # fmt: skip
                server = SsoServer("", issuer, academy.slug, academy.name, manager.email)
                db.session.commit()
            env = {
                **clean_environment(),
                "TRACKER_DATABASE_URL": database_url,
                "TRACKER_SECRET_KEY": secret_key,
                "TRACKER_INSTANCE_PATH": str(workdir),
                "TRACKER_LOG_LEVEL": "WARNING",
                "TRACKER_SMTP_HOST": "",
                "TRACKER_OIDC_ISSUER": issuer,
                "TRACKER_OIDC_CLIENT_ID": "brique",
                "TRACKER_OIDC_CLIENT_SECRET": "brique-secret",
                "TRACKER_OIDC_ALLOWED_DOMAINS": "example.com",
                "TRACKER_OIDC_ONLY": "1",
                "TRACKER_OIDC_PROVIDER_NAME": "Company ID",
            }
            with serve("app:app", env=env, log_path=workdir / "gunicorn.log", workers=2,
                       threads=2) as url:  # fmt: skip
                server.url = url
                yield server
        finally:
            app.extensions["database"].engine.dispose()


@pytest.fixture
def sso_page(sso_server: SsoServer, browser: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=sso_server.url, locale="en-GB")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def through_the_provider(page: Any, sub: str) -> None:
    page.goto("/login")
    assert page.locator("input[name=password]").count() == 0  # single sign-on only
    with page.expect_navigation():
        page.click("a[data-sso]")
    assert page.url.startswith("http://127.0.0.1:") and "/oauth2/authorize" in page.url
    page.fill("input[name=sub]", sub)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Authorize')")


def test_a_member_signs_in_through_the_provider_and_lands_on_the_academy(
    sso_page: Any, sso_server: SsoServer
) -> None:
    put_user(sso_server.issuer, "lea-sub", email=sso_server.member_email, email_verified=True)
    through_the_provider(sso_page, "lea-sub")
    assert sso_page.url == f"{sso_server.url}/a/{sso_server.academy_slug}/"
    assert sso_page.locator("h1").inner_text() == sso_server.academy_name

    sso_page.click("details.user-menu > summary")
    with sso_page.expect_navigation():  # logging out ends the Brique session
        sso_page.click("form[action='/logout'] button[type=submit]")
    sso_page.goto(f"/a/{sso_server.academy_slug}/")
    assert "/login" in sso_page.url


def test_a_person_of_another_domain_is_refused_with_a_clear_page(
    sso_page: Any, sso_server: SsoServer
) -> None:
    put_user(sso_server.issuer, "eve-sub", email="eve@elsewhere.test", email_verified=True)
    through_the_provider(sso_page, "eve-sub")
    assert "/login/sso/callback" in sso_page.url
    assert sso_page.locator("h1").inner_text() == "You cannot sign in to Brique"
    refusal = sso_page.locator("[data-sso-refused]").inner_text()
    assert "eve@elsewhere.test" in refusal and "domain is not one of those allowed" in refusal
    sso_page.goto(f"/a/{sso_server.academy_slug}/")
    assert "/login" in sso_page.url
