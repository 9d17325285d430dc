"""Login, logout, the person's own account, accepting an invitation, and user administration."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from tracker.academies import services as academy_services
from tracker.academies.models import AcademyInvitation
from tracker.auth import bp, services
from tracker.auth.forms import AcceptInvitationForm, ChangePasswordForm, EditProfileForm, LoginForm
from tracker.auth.models import User
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound, Throttled
from tracker.forms import ConfirmForm
from tracker.web import (
    attach_error,
    authenticated,
    is_safe_next,
    public,
    requires,
    see_other,
    submit,
    success,
)


def open_session(user: User) -> None:
    """Log the person in with a new server-side session (the old cookie, if any, is dropped)."""
    token = services.start_session(
        db.session,
        user,
        lifetime_days=current_app.config["SESSION_LIFETIME_DAYS"],
        user_agent=request.headers.get("User-Agent", ""),
        now=utcnow(),
    )
    _clear_session_but_locale()
    session["sid"] = token
    session.permanent = True
    login_user(user)


def _clear_session_but_locale() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _next_or_home(target: str | None) -> str:
    return target if target and is_safe_next(target) else url_for("core.index")


def _flash_refusal(form: FlaskForm) -> None:
    """A button's refusal (see submit()) is told on the page it redirects to."""
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")


# -- Logging in and out ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_next_or_home(form.next.data))
    if not form.validate_on_submit():
        return _login_page(form, 422 if request.method == "POST" else 200)
    # Not submit(): a failed attempt is committed (it counts towards throttling), and a
    # throttled one answers 429 with Retry-After.
    try:
        user = _authenticate(form)
    except Throttled as error:
        form.form_errors.append(error.message)
        return _login_page(form, 429, {"Retry-After": str(error.retry_after)})
    except DomainError as error:
        db.session.commit()
        attach_error(form, error)
        return _login_page(form, 422)
    open_session(user)
    db.session.commit()
    return redirect(_next_or_home(form.next.data), code=303)


def _authenticate(form: LoginForm) -> User:
    return services.authenticate(
        db.session,
        form.email.data or "",
        form.password.data or "",
        ip_address=request.remote_addr or "",
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        window=current_app.config["LOGIN_WINDOW_SECONDS"],
        now=utcnow(),
    )


def _login_page(form: LoginForm, status: int, headers: dict[str, str] | None = None) -> Any:
    form.password.data = ""
    return render_template("auth/login.html", form=form), status, headers or {}


@bp.route("/logout", methods=["POST"])
@authenticated
def logout() -> Any:
    token = session.get("sid")
    if not submit(ConfirmForm(), lambda: _revoke(token)):
        abort(400)
    logout_user()
    _clear_session_but_locale()
    flash(_("You are logged out."), "info")
    return see_other("auth.login")


def _revoke(token: str | None) -> None:
    if token:
        services.revoke_session(db.session, token, now=utcnow())


# -- The person's own account ---------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@authenticated
def profile() -> Any:
    form = EditProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    done = submit(
        form,
        lambda: services.update_profile(
            db.session,
            current_user,
            display_name=form.display_name.data or "",
            locale=form.locale.data or None,
        ),
    )
    if done:
        return success(_("Your profile is saved."), "auth.profile")
    return render_template("auth/profile.html", form=form), done.status


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password() -> Any:
    form = ChangePasswordForm()
    done = submit(form, lambda: _change_password(form))
    if done:
        return success(
            _("Your password is changed. Your other sessions are logged out."), "auth.profile"
        )
    return render_template("auth/password.html", form=form), done.status


def _change_password(form: ChangePasswordForm) -> None:
    services.change_password(
        db.session,
        current_user,
        form.current_password.data or "",
        form.new_password.data or "",
        now=utcnow(),
    )
    # Every other session (a stolen cookie included) is now revoked; keep this one.
    open_session(current_user._get_current_object())


@bp.route("/account/export")
@authenticated
def export_data() -> Response:
    data = services.export_personal_data(db.session, current_user)
    return _json_download(data, "brique-my-data.json")


def _json_download(data: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        # Personal data: never kept by a browser or shared cache (only HTML gets it by default).
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# -- Accepting an invitation ----------------------------------------------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    try:
        invitation = academy_services.find_invitation(db.session, token, now=utcnow())
    except NotFound as error:  # a page that says why, rather than the bare 404
        return render_template("auth/invitation_invalid.html", message=error.message), 404
    existing = services.get_user_by_email(db.session, invitation.email)
    if existing is not None and existing.password_hash is not None:
        return _join_with_account(invitation, existing)
    form = AcceptInvitationForm()
    done = submit(form, lambda: _accept(invitation, form))
    if done:
        return success(
            _("Welcome to %(academy)s.", academy=invitation.academy.name),
            "academy.home",
            slug=invitation.academy.slug,
        )
    page = render_template("auth/accept_invitation.html", form=form, invitation=invitation)
    return page, done.status


def _join_with_account(invitation: AcademyInvitation, user: User) -> Any:
    """The person already has an account: the membership is theirs once they log in. No form
    to submit (the link itself does it), so the refusal is a page of its own."""
    try:
        academy_services.accept_invitation(
            db.session, invitation, display_name=user.display_name, password="", now=utcnow()
        )
    except DomainError as error:  # e.g. it would demote the academy's last manager
        db.session.rollback()
        return render_template("auth/invitation_invalid.html", message=error.message), 422
    db.session.commit()
    flash(_("You joined %(academy)s. Log in to continue.", academy=invitation.academy.name))
    return see_other("auth.login")


def _accept(invitation: AcademyInvitation, form: AcceptInvitationForm) -> User:
    user = academy_services.accept_invitation(
        db.session,
        invitation,
        display_name=form.display_name.data or "",
        password=form.password.data or "",
        locale=form.locale.data or None,
        now=utcnow(),
    )
    open_session(user)
    return user


# -- Site administration of accounts ------------------------------------------------------------


@bp.route("/admin/users")
@requires(Permission.USER_MANAGE)
def admin_users() -> Any:
    query = (request.args.get("q") or "").strip().lower()
    users = services.find_users(db.session, query)
    return render_template("auth/admin_users.html", users=users, q=query, form=ConfirmForm())


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires(Permission.USER_MANAGE)
def admin_set_active(user_id: int) -> Any:
    user = services.get_user(db.session, user_id)
    active = request.form.get("active") == "1"
    form = ConfirmForm()
    if submit(
        form,
        lambda: services.set_active(db.session, user, active, actor=current_user, now=utcnow()),
    ):
        flash(
            _("%(name)s can log in again.", name=user.display_name)
            if active
            else _("%(name)s is deactivated and logged out everywhere.", name=user.display_name),
            "success",
        )
    else:
        _flash_refusal(form)
    return see_other("auth.admin_users")


@bp.route("/admin/users/<int:user_id>/export")
@requires(Permission.USER_MANAGE)
def admin_export_user(user_id: int) -> Response:
    user = services.get_user(db.session, user_id)
    data = services.export_personal_data(db.session, user)
    return _json_download(data, f"brique-user-{user.id}.json")


@bp.route("/admin/users/<int:user_id>/erase", methods=["POST"])
@requires(Permission.USER_MANAGE)
def admin_erase_user(user_id: int) -> Any:
    user = services.get_user(db.session, user_id)
    form = ConfirmForm()
    if submit(
        form, lambda: services.erase_user(db.session, user, actor=current_user, now=utcnow())
    ):
        flash(_("The person's personal data is erased."), "success")
    else:
        _flash_refusal(form)
    return see_other("auth.admin_users")
