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
from sqlalchemy import func, select

from tracker.academies import services as academy_services
from tracker.auth import bp, services
from tracker.auth.forms import AcceptInvitationForm, ChangePasswordForm, EditProfileForm, LoginForm
from tracker.auth.models import User
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound, Throttled
from tracker.forms import ConfirmForm
from tracker.web import attach_error, authenticated, is_safe_next, public, requires, see_other


def open_session(user: User) -> None:
    """Log the person in with a new server-side session (the old cookie, if any, is dropped)."""
    token = services.start_session(
        db.session,
        user,
        lifetime_days=current_app.config["SESSION_LIFETIME_DAYS"],
        user_agent=request.headers.get("User-Agent", ""),
        now=utcnow(),
    )
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = token
    session.permanent = True
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(form.next.data if is_safe_next(form.next.data) else url_for("core.index"))
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session,
                form.email.data or "",
                form.password.data or "",
                ip_address=request.remote_addr or "",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                window=current_app.config["LOGIN_WINDOW_SECONDS"],
                now=utcnow(),
            )
        except Throttled as error:
            form.form_errors.append(error.message)
            status, headers = 429, {"Retry-After": str(error.retry_after)}
        except DomainError as error:
            db.session.commit()  # keep the failure: it counts towards throttling
            attach_error(form, error)
            status = 422
        else:
            open_session(user)
            db.session.commit()
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("core.index"), code=303)
    elif request.method == "POST":
        status = 422
    form.password.data = ""
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
@authenticated
def logout() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = session.get("sid")
    if token:
        services.revoke_session(db.session, token, now=utcnow())
        db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You are logged out."), "info")
    return see_other("auth.login")


@bp.route("/account", methods=["GET", "POST"])
@authenticated
def profile() -> Any:
    form = EditProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    if form.validate_on_submit():
        try:
            services.update_profile(
                db.session,
                current_user,
                display_name=form.display_name.data or "",
                locale=form.locale.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return see_other("auth.profile")
    status = 422 if request.method == "POST" else 200
    return render_template("auth/profile.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session,
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            # Every other session (a stolen cookie included) is now revoked; keep this one.
            open_session(current_user._get_current_object())
            db.session.commit()
            flash(_("Your password is changed. Your other sessions are logged out."), "success")
            return see_other("auth.profile")
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/account/export")
@authenticated
def export_data() -> Response:
    data = services.export_personal_data(db.session, current_user)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        # Personal data: never kept by a browser or shared cache (only HTML gets it by default).
        headers={
            "Content-Disposition": 'attachment; filename="brique-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    try:
        invitation = academy_services.find_invitation(db.session, token, now=utcnow())
    except NotFound as error:
        return render_template("auth/invitation_invalid.html", message=error.message), 404
    existing = services.get_user_by_email(db.session, invitation.email)
    if existing is not None and existing.password_hash is not None:
        # The person already has an account: the membership is theirs once they log in.
        try:
            academy_services.accept_invitation(
                db.session,
                invitation,
                display_name=existing.display_name,
                password="",
                now=utcnow(),
            )
        except DomainError as error:  # e.g. it would demote the academy's last manager
            db.session.rollback()
            return render_template("auth/invitation_invalid.html", message=error.message), 422
        db.session.commit()
        flash(_("You joined %(academy)s. Log in to continue.", academy=invitation.academy.name))
        return see_other("auth.login")
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = academy_services.accept_invitation(
                db.session,
                invitation,
                display_name=form.display_name.data or "",
                password=form.password.data or "",
                locale=form.locale.data or None,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            open_session(user)
            db.session.commit()
            flash(_("Welcome to %(academy)s.", academy=invitation.academy.name), "success")
            return redirect(url_for("academy.home", slug=invitation.academy.slug), code=303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template("auth/accept_invitation.html", form=form, invitation=invitation),
        status,
    )


# -- Site administration of accounts ------------------------------------------------------------


@bp.route("/admin/users")
@requires(Permission.USER_MANAGE)
def admin_users() -> Any:
    query = (request.args.get("q") or "").strip().lower()
    statement = select(User).order_by(func.lower(User.display_name)).limit(200)
    if query:
        like = f"%{query}%"
        statement = statement.where(
            func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
        )
    users = db.session.scalars(statement).all()
    return render_template("auth/admin_users.html", users=users, q=query, form=ConfirmForm())


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires(Permission.USER_MANAGE)
def admin_set_active(user_id: int) -> Any:
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        services.set_active(db.session, user, active, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s can log in again.", name=user.display_name)
            if active
            else _("%(name)s is deactivated and logged out everywhere.", name=user.display_name),
            "success",
        )
    return see_other("auth.admin_users")


@bp.route("/admin/users/<int:user_id>/export")
@requires(Permission.USER_MANAGE)
def admin_export_user(user_id: int) -> Response:
    user = _load_user(user_id)
    data = services.export_personal_data(db.session, user)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="brique-user-{user.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/admin/users/<int:user_id>/erase", methods=["POST"])
@requires(Permission.USER_MANAGE)
def admin_erase_user(user_id: int) -> Any:
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.erase_user(db.session, user, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The person's personal data is erased."), "success")
    return see_other("auth.admin_users")
