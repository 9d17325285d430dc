"""Single sign-on pages: off to the OpenID provider, and back (tracker.auth.sso)."""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from flask import abort, current_app, redirect, render_template, session
from flask_login import current_user
from joserfc.errors import JoseError

from tracker.auth import bp, sso
from tracker.auth.views import _next_or_home, open_session
from tracker.db import db, utcnow
from tracker.web import is_safe_next, public, query_text

NEXT_KEY = "sso_next"


def _client() -> Any:
    client = current_app.extensions.get(sso.CLIENT)
    if client is None:
        abort(404)  # single sign-on is not configured
    return client


def _callback_url() -> str:
    return f"{current_app.config['BASE_URL']}/login/sso/callback"


@bp.route("/login/sso")
@public
def sso_login() -> Any:
    client = _client()
    target = query_text("next", max_length=2000)
    if current_user.is_authenticated:
        return redirect(_next_or_home(target))
    session[NEXT_KEY] = target if is_safe_next(target) else ""
    try:
        return client.authorize_redirect(_callback_url())
    except (OAuthError, OSError, ValueError) as error:  # the provider cannot be reached
        current_app.logger.warning("single sign-on: provider unavailable: %s", error)
        return _refused("unavailable", 503)


@bp.route("/login/sso/callback")
@public
def sso_callback() -> Any:
    client = _client()
    try:
        token = client.authorize_access_token()
    except (OAuthError, JoseError, OSError, ValueError, KeyError) as error:
        # A stale or forged state, an error from the provider, a bad ID token.
        current_app.logger.warning("single sign-on refused: %s", type(error).__name__)
        return _refused("failed", 400)
    claims = token.get("userinfo")
    if not claims:
        return _refused("failed", 400)
    settings = sso.settings_of(current_app)
    try:
        user = sso.account_for(db.session, settings, claims, now=utcnow())
    except sso.SsoRefused as error:
        db.session.rollback()
        return _refused("refused", 403, message=error.message)
    target = session.get(NEXT_KEY, "")
    open_session(user)  # clears the cookie's session (the OAuth state with it)
    db.session.commit()
    return redirect(_next_or_home(target), code=303)


def _refused(reason: str, status: int, *, message: str = "") -> Any:
    settings = sso.settings_of(current_app)
    return (
        render_template("auth/sso_refused.html", reason=reason, message=message, sso=settings),
        status,
    )
