"""The pages where people manage API credentials: their personal access tokens (profile) and
an academy's service accounts (managers, from the academy's settings). A token is shown once,
on the page that made it (never stored: only its hash)."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from tracker.academies import services as academies
from tracker.api import service_accounts_bp, services, tokens_bp
from tracker.api.forms import PersonalTokenForm, ServiceAccountForm, TokenForm
from tracker.auth.permissions import Permission, role_in
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm
from tracker.web import authenticated, requires, submit, success


def _shown_once(page: Any, status: int, secret: str | None) -> Any:
    response = Response(page, status=status, mimetype="text/html")
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


def _my_academies() -> list[Any]:
    return [a for a, _role in academies.academies_of(db.session, current_user)]


def _tokens_page(form: PersonalTokenForm, status: int = 200, secret: str | None = None) -> Any:
    page = render_template(
        "api/tokens.html",
        form=form,
        tokens=services.personal_tokens(db.session, current_user),
        secret=secret,
        now=utcnow(),
    )
    return _shown_once(page, status, secret)


@tokens_bp.route("/", methods=["GET", "POST"])
@authenticated
def tokens() -> Any:
    """The person's API tokens, and the form to make one (shown once, then only its name)."""
    mine = _my_academies()
    form = PersonalTokenForm()
    form.set_academies(mine)
    by_slug = {a.slug: a for a in mine}
    done = submit(
        form,
        lambda: services.create_personal_token(
            db.session, current_user, name=form.name.data or "",
            can_write=form.access.data == "write", academy=by_slug.get(form.academy.data or ""),
            days=int(form.days.data or 0), now=utcnow(),
        ),
    )  # fmt: skip
    if done and done.value is not None:
        fresh = PersonalTokenForm(formdata=None)
        fresh.set_academies(mine)
        return _tokens_page(fresh, 200, done.value.secret)
    return _tokens_page(form, done.status)


@tokens_bp.route("/<int:token_id>/revoke", methods=["POST"])
@authenticated
def revoke_token(token_id: int) -> Any:
    submit(
        ConfirmForm(),
        lambda: services.revoke_personal_token(db.session, current_user, token_id, now=utcnow()),
    )
    return success(_("The token is revoked: it no longer works."), "api_tokens.tokens")


# -- Service accounts (academy settings) ------------------------------------------------------


def _accounts_page(
    form: ServiceAccountForm | None = None,
    status: int = 200,
    secret: str | None = None,
) -> Any:
    rows = services.service_accounts(db.session, g.academy)
    page = render_template(
        "api/service_accounts.html",
        form=form or ServiceAccountForm(formdata=None),
        token_form=TokenForm(formdata=None),
        accounts=[(a, role, services.service_tokens(db.session, a)) for a, role in rows],
        secret=secret,
        now=utcnow(),
    )
    return _shown_once(page, status, secret)


@service_accounts_bp.route("/settings/service-accounts", methods=["GET", "POST"])
@requires(Permission.SERVICE_ACCOUNT_MANAGE)
def service_accounts() -> Any:
    form = ServiceAccountForm()
    done = submit(
        form,
        lambda: services.create_service_account(
            db.session, g.academy, name=form.name.data or "", role=form.role.data or "",
            actor=current_user, actor_role=role_in(current_user, g.academy), now=utcnow(),
        ),
    )  # fmt: skip
    if done:
        return success(
            _("The service account is created: give it a token."),
            "service_accounts.service_accounts",
        )
    return _accounts_page(form, done.status)


@service_accounts_bp.route("/settings/service-accounts/<int:account_id>/tokens", methods=["POST"])
@requires(Permission.SERVICE_ACCOUNT_MANAGE)
def issue_service_token(account_id: int) -> Any:
    account = services.get_service_account(db.session, g.academy, account_id)
    form = TokenForm()
    done = submit(
        form,
        lambda: services.issue_service_token(
            db.session, account, name=form.name.data or "",
            can_write=form.access.data == "write", days=int(form.days.data or 0), now=utcnow(),
        ),
    )  # fmt: skip
    if done and done.value is not None:
        return _accounts_page(secret=done.value.secret)
    return _accounts_page(status=done.status)


@service_accounts_bp.route(
    "/settings/service-accounts/<int:account_id>/tokens/<int:token_id>/revoke", methods=["POST"]
)
@requires(Permission.SERVICE_ACCOUNT_MANAGE)
def revoke_service_token(account_id: int, token_id: int) -> Any:
    account = services.get_service_account(db.session, g.academy, account_id)
    submit(
        ConfirmForm(),
        lambda: services.revoke_service_token(db.session, account, token_id, now=utcnow()),
    )
    return success(
        _("The token is revoked: it no longer works."), "service_accounts.service_accounts"
    )


@service_accounts_bp.route("/settings/service-accounts/<int:account_id>/delete", methods=["POST"])
@requires(Permission.SERVICE_ACCOUNT_MANAGE)
def delete_service_account(account_id: int) -> Any:
    account = services.get_service_account(db.session, g.academy, account_id)
    submit(
        ConfirmForm(), lambda: services.delete_service_account(db.session, account, now=utcnow())
    )
    return success(
        _("The service account is deleted: its tokens no longer work."),
        "service_accounts.service_accounts",
    )
