"""Single sign-on with OpenID Connect: the settings, the Authlib client, and who signs in.

The authorization code flow with PKCE (S256), `state` and `nonce` is Authlib's (its Flask
client keeps them in the signed session cookie between the redirect and the callback, and
checks the ID token's signature, issuer, audience, expiry and nonce). What is Brique's: an
account is found by the provider's subject, else linked by a verified e-mail address, else
created without any academy (a manager's invitation gives memberships); only the allowed
e-mail domains may sign in; the login then opens a server-side session like a password login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.auth.models import SsoIdentity, User
from tracker.auth.services import create_user, get_user_by_email, normalize_email
from tracker.errors import DomainError

CLIENT = "brique_sso"  # app.extensions key of the Authlib client


class SsoRefused(DomainError):
    """The provider vouched for someone Brique does not let in (a clear page, 403)."""

    status = 403


@dataclass(frozen=True)
class SsoSettings:
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    # Lower-case domains ("example.com"); empty: any domain.
    allowed_domains: tuple[str, ...] = ()
    only: bool = False  # single sign-on only: no password form
    provider_name: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SsoSettings:
        domains = str(config.get("OIDC_ALLOWED_DOMAINS") or "")
        return cls(
            issuer=str(config.get("OIDC_ISSUER") or "").rstrip("/"),
            client_id=str(config.get("OIDC_CLIENT_ID") or ""),
            client_secret=str(config.get("OIDC_CLIENT_SECRET") or ""),
            allowed_domains=tuple(
                d.strip().lower().lstrip("@") for d in domains.split(",") if d.strip()
            ),
            only=bool(config.get("OIDC_ONLY")),
            provider_name=str(config.get("OIDC_PROVIDER_NAME") or ""),
        )


def init_app(app: Flask) -> None:
    """Register the provider's client when single sign-on is configured (its metadata is read
    from the issuer at the first login, not at start-up)."""
    settings = SsoSettings.from_config(app.config)
    app.extensions["brique_sso_settings"] = settings
    if not settings.enabled:
        return
    if settings.only and not app.config.get("TESTING"):
        app.logger.info("single sign-on only: the password form is hidden")
    oauth = OAuth(app)
    app.extensions[CLIENT] = oauth.register(
        "provider",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )


def settings_of(app: Flask) -> SsoSettings:
    found = app.extensions.get("brique_sso_settings")
    return found if isinstance(found, SsoSettings) else SsoSettings()


def domain_allowed(settings: SsoSettings, email: str) -> bool:
    if not settings.allowed_domains:
        return True
    domain = email.rpartition("@")[2].lower()
    return bool(email) and domain in settings.allowed_domains


def _verified(claims: Mapping[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def account_for(
    session: Session, settings: SsoSettings, claims: Mapping[str, Any], *, now: dt.datetime
) -> User:
    """The account the provider's ID token (its `claims`) signs in, found, linked or created;
    SsoRefused when it may not."""
    subject = str(claims.get("sub") or "")
    email = normalize_email(str(claims.get("email") or ""))
    if not subject:
        raise SsoRefused(_("The identity provider did not say who you are."))
    if not email or not domain_allowed(settings, email):
        raise SsoRefused(
            _(
                "Your account at the identity provider (%(email)s) may not sign in to Brique: "
                "its e-mail domain is not one of those allowed here.",
                email=email or "?",
            )
        )
    identity = session.scalar(
        select(SsoIdentity).where(
            SsoIdentity.issuer == settings.issuer, SsoIdentity.subject == subject
        )
    )
    if identity is not None:
        user = session.get(User, identity.user_id)
        assert user is not None  # the identity goes with its account
    else:
        if not _verified(claims):
            raise SsoRefused(
                _("The identity provider has not verified your e-mail address (%(email)s).",
                  email=email)
            )  # fmt: skip
        found = get_user_by_email(session, email)
        user = found or create_user(
            session, email=email, display_name=_display_name(claims, email), password=None
        )
        identity = SsoIdentity(
            user_id=user.id, issuer=settings.issuer, subject=subject, created_at=now
        )
        session.add(identity)
    if not user.is_active_account:
        raise SsoRefused(_("This account is deactivated. Ask your site administrator."))
    identity.last_login_at = now
    user.last_login_at = now
    session.flush()
    return user


def _display_name(claims: Mapping[str, Any], email: str) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(
            str(claims.get(key) or "").strip() for key in ("given_name", "family_name")
        ).strip()
    name = "".join(ch for ch in name if ch.isprintable())  # it ends up in e-mail headers
    return (name or email.partition("@")[0])[:120]
