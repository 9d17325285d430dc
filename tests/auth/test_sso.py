"""Single sign-on against a real OpenID provider on loopback (oidc-provider-mock, in a thread):
authorization code flow with PKCE, state and nonce (Authlib), then Brique's rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from tests.auth.provider import put_user, running_provider
from tests.test_permissions import _invitation_link
from tracker.academies.models import Membership
from tracker.auth import sso
from tracker.auth.models import SsoIdentity, User, UserSession


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The issuer URL of an OpenID provider running on loopback for these tests."""
    with running_provider() as issuer:
        yield issuer


@pytest.fixture
def sso_on(app, provider, monkeypatch) -> Any:  # type: ignore[no-untyped-def]
    """Single sign-on configured on the test app (undone after the test)."""

    def configure(**config: Any) -> None:
        settings = {
            "OIDC_ISSUER": provider,
            "OIDC_CLIENT_ID": "brique",
            "OIDC_CLIENT_SECRET": "brique-secret",
            "OIDC_ALLOWED_DOMAINS": "example.com, Example.org",
            "OIDC_ONLY": False,
            **config,
        }
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)
        for key in (sso.CLIENT, "brique_sso_settings", "authlib.integrations.flask_client"):
            monkeypatch.setitem(app.extensions, key, None)
        sso.init_app(app)

    configure()
    return configure


def sign_in(client, sub: str, path: str = "/login/sso") -> Any:  # type: ignore[no-untyped-def]
    """Through the provider as `sub`: Brique's redirect, the provider's consent, the callback."""
    start = client.get(path)
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    authorize = start.location
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://brique.test/login/sso/callback"]
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    back = urlsplit(answer.headers["location"])
    assert back.path == "/login/sso/callback"
    return client.get(f"{back.path}?{back.query}", headers={"Accept-Language": "en"})


def test_a_new_person_gets_an_account_without_any_academy(client, db_session, sso_on, provider):
    put_user(provider, "sub-new-1", email="Nora.New@Example.com", email_verified=True,
             name="Nora New")  # fmt: skip
    response = sign_in(client, "sub-new-1")
    assert response.status_code == 303 and response.location == "/"

    user = db_session.scalars(select(User).where(User.email == "nora.new@example.com")).one()
    assert user.display_name == "Nora New" and user.password_hash is None
    assert db_session.scalars(select(Membership).where(Membership.user_id == user.id)).all() == []
    identity = db_session.scalars(select(SsoIdentity)).one()
    assert (identity.issuer, identity.subject, identity.user_id) == (provider, "sub-new-1", user.id)
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert client.get("/").location.endswith("/academies/")  # logged in, no academy yet


def test_a_member_is_linked_by_verified_email_and_lands_on_the_academy(
    client, db_session, world, sso_on, provider
):
    put_user(provider, "sub-maya", email=world.manager.email, email_verified=True)
    assert sign_in(client, "sub-maya").status_code == 303
    assert client.get("/").location == f"/a/{world.academy.slug}/"
    assert client.get(f"/a/{world.academy.slug}/").status_code == 200

    # Found by subject from then on, even once the provider has a new address for her.
    client.post("/logout", data={})
    put_user(provider, "sub-maya", email="maya.renamed@example.com", email_verified=True)
    assert sign_in(client, "sub-maya").status_code == 303
    assert client.get("/").location == f"/a/{world.academy.slug}/"
    assert len(db_session.scalars(select(SsoIdentity)).all()) == 1


def test_a_domain_not_allowed_is_refused_with_a_clear_page(client, db_session, sso_on, provider):
    put_user(provider, "sub-mallory", email="mallory@elsewhere.test", email_verified=True)
    response = sign_in(client, "sub-mallory")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "mallory@elsewhere.test" in html and "domain is not one of those allowed" in html
    assert (
        db_session.scalars(select(User).where(User.email == "mallory@elsewhere.test")).all() == []
    )
    assert client.get("/").location.startswith("/login")  # not logged in


def test_an_unverified_address_neither_links_nor_creates(
    client, db_session, world, sso_on, provider
):
    put_user(provider, "sub-fake-maya", email=world.manager.email, email_verified=False)
    response = sign_in(client, "sub-fake-maya")
    assert response.status_code == 403
    assert "not verified" in response.get_data(as_text=True)
    assert db_session.scalars(select(SsoIdentity)).all() == []


def test_a_forged_or_replayed_callback_is_refused(client, db_session, sso_on, provider):
    put_user(provider, "sub-replay", email="replay@example.com", email_verified=True)
    start = client.get("/login/sso")
    answer = requests.post(start.location, data={"sub": "sub-replay"}, allow_redirects=False,
                           timeout=10)  # fmt: skip
    back = urlsplit(answer.headers["location"])
    forged = client.get(f"{back.path}?code=x&state=not-the-one")
    assert forged.status_code == 400
    assert client.get(f"{back.path}?{back.query}").status_code == 303  # the real one, once
    client.post("/logout", data={})
    assert client.get(f"{back.path}?{back.query}").status_code == 400  # not twice
    denied = client.get("/login/sso/callback?error=access_denied&state=x")
    assert denied.status_code == 400


def test_logout_ends_the_brique_session(client, db_session, sso_on, provider):
    put_user(provider, "sub-leaving", email="leaving@example.org", email_verified=True)
    assert sign_in(client, "sub-leaving").status_code == 303
    login = db_session.scalars(select(UserSession)).one()
    assert client.post("/logout", data={}).status_code == 303
    db_session.refresh(login)
    assert login.revoked_at is not None
    assert client.get("/").location.startswith("/login")


def test_single_sign_on_only_hides_and_refuses_passwords(client, world, sso_on):
    sso_on(OIDC_ONLY=True, OIDC_PROVIDER_NAME="Entra ID")
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with Entra ID" in page
    from tests.factories import PASSWORD

    refused = client.post("/login", data={"email": world.manager.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert client.get("/").location.startswith("/login")
    forgot = client.post("/password/forgot", data={"email": world.manager.email})
    assert forgot.status_code == 303 and forgot.location == "/login"


def test_without_configuration_there_is_no_single_sign_on(client):
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    assert 'name="password"' in client.get("/login").get_data(as_text=True)


def test_domain_rules():
    settings = sso.SsoSettings.from_config(
        {"OIDC_ISSUER": "https://id.example.com/", "OIDC_CLIENT_ID": "x",
         "OIDC_ALLOWED_DOMAINS": " example.com ,@Example.fr"}
    )  # fmt: skip
    assert settings.issuer == "https://id.example.com"
    assert settings.allowed_domains == ("example.com", "example.fr")
    assert sso.domain_allowed(settings, "a@example.fr")
    assert not sso.domain_allowed(settings, "a@evil-example.com")
    assert not sso.domain_allowed(settings, "a@example.com.evil.test")
    assert sso.domain_allowed(sso.SsoSettings(), "anyone@anywhere.test")


def test_a_person_signed_in_through_the_provider_accepts_an_invitation_without_a_password(
    client, db_session, world, sso_on, provider
):
    put_user(provider, "sub-newcomer", email="newcomer@example.com", email_verified=True)
    assert sign_in(client, "sub-newcomer").status_code == 303
    link = _invitation_link(world, db_session, "newcomer@example.com")

    page = client.get(link).get_data(as_text=True)
    assert 'name="password"' not in page
    assert client.post(link, data={}).status_code == 303
    newcomer = db_session.scalars(select(User).where(User.email == "newcomer@example.com")).one()
    assert newcomer.password_hash is None
    assert client.get("/").location == f"/a/{world.academy.slug}/"


def test_single_sign_on_only_an_invitation_link_alone_makes_no_account(
    client, db_session, world, sso_on
):
    sso_on(OIDC_ONLY=True)
    link = _invitation_link(world, db_session, "stranger@example.com")
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="password"' not in page and "/login?next=" in page
    data = {"display_name": "Stranger", "password": "a long enough passphrase 42"}
    assert client.post(link, data=data).status_code == 200
    assert db_session.scalars(select(User).where(User.email == "stranger@example.com")).all() == []
