"""The front door, the language switch and the health check."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, session, url_for
from flask_login import current_user

from tracker.auth import services as auth_services
from tracker.core import bp
from tracker.db import db
from tracker.forms import ChooseLanguageForm
from tracker.templating import my_academies
from tracker.web import is_safe_next, public, submit


@bp.route("/")
@public
def index() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    academies = my_academies()
    last = session.get("academy")
    for academy, _role in academies:
        if academy.slug == last:
            return redirect(url_for("academy.home", slug=academy.slug))
    if len(academies) >= 1 and not current_user.is_admin:
        return redirect(url_for("academy.home", slug=academies[0][0].slug))
    return redirect(url_for("academies.index"))


@bp.route("/language", methods=["POST"])
@public
def choose_language() -> Any:
    """Anyone may switch language; for a logged-in person it becomes their preference. An
    invalid choice changes nothing: either way the person goes back where they were."""
    form = ChooseLanguageForm()
    target = form.next.data if is_safe_next(form.next.data) else url_for("core.index")
    submit(form, lambda: _keep_locale(form.locale.data or ""))
    return redirect(target, code=303)


def _keep_locale(locale: str) -> None:
    session["locale"] = locale
    if current_user.is_authenticated:
        auth_services.set_locale(db.session, current_user, locale)


@bp.route("/healthz")
@public
def health() -> Any:
    """Liveness: the process answers (it reads nothing; /readyz checks the database)."""
    return jsonify(status="ok")
