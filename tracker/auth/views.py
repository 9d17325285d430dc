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
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from tracker.academies import services as academy_services
from tracker.academies.models import AcademyInvitation
from tracker.auth import bp, resets, services, sso
from tracker.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    EditProfileForm,
    ForgotPasswordForm,
    JoinPanelForm,
    LoginForm,
    ResetPasswordForm,
)
from tracker.auth.models import User
from tracker.auth.permissions import Permission, forget_roles
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound, Throttled
from tracker.feedback import panel
from tracker.forms import ConfirmForm
from tracker.mail.services import queue_mail
from tracker.web import (
    attach_error,
    authenticated,
    is_safe_next,
    public,
    query_text,
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
    if request.method == "POST" and sso.settings_of(current_app).only:
        form.form_errors.append(_("Sign in through your organisation's single sign-on."))
        return _login_page(form, 403)
    if not form.validate_on_submit():
        return _login_page(form, 422 if request.method == "POST" else 200)
    # Not submit(): the attempt is counted and committed before the password is checked (so
    # that parallel attempts cannot overshoot the limit), a failure stays committed, and a
    # throttled attempt answers 429 with Retry-After.
    email, password = form.email.data or "", form.password.data or ""
    source = request.remote_addr or ""
    try:
        services.begin_login(db.session, email, source=source, limits=login_limits(), now=utcnow())
    except Throttled as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _login_page(form, 429, {"Retry-After": str(error.retry_after)})
    db.session.commit()
    try:
        user = services.finish_login(db.session, email, password, source=source, now=utcnow())
    except DomainError as error:
        db.session.commit()
        attach_error(form, error)
        return _login_page(form, 422)
    open_session(user)
    db.session.commit()
    return redirect(_next_or_home(form.next.data), code=303)


def login_limits() -> services.LoginLimits:
    config = current_app.config
    return services.LoginLimits(
        max_failures=config["LOGIN_MAX_FAILURES"],
        window=config["LOGIN_WINDOW_SECONDS"],
        account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
        delay_after=config["LOGIN_DELAY_AFTER"],
        delay_max=config["LOGIN_DELAY_MAX_SECONDS"],
    )


def _login_page(form: LoginForm, status: int, headers: dict[str, str] | None = None) -> Any:
    form.password.data = ""
    page = render_template("auth/login.html", form=form, sso=sso.settings_of(current_app))
    return page, status, headers or {}


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


# -- Forgotten password ---------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> Any:
    if sso.settings_of(current_app).only:  # no password to reset: the provider has them
        flash(_("Sign in through your organisation's single sign-on."), "info")
        return see_other("auth.login")
    form = ForgotPasswordForm()
    try:
        done = submit(form, lambda: _send_reset_link(form.email.data or ""))
    except Throttled as error:  # too many requests from this address (says nothing of accounts)
        db.session.rollback()
        form.form_errors.append(error.message)
        page = render_template("auth/forgot_password.html", form=form)
        return page, 429, {"Retry-After": str(error.retry_after)}
    if done:
        # The same words whether the address has an account or not.
        flash(
            ngettext(
                "If an account exists for %(email)s, an e-mail with a link to choose a new"
                " password is on its way. The link works once, for %(num)s minute.",
                "If an account exists for %(email)s, an e-mail with a link to choose a new"
                " password is on its way. The link works once, for %(num)s minutes.",
                current_app.config["PASSWORD_RESET_MINUTES"],
                email=form.email.data,
            ),
            "info",
        )
        return see_other("auth.login")
    return render_template("auth/forgot_password.html", form=form), done.status


def _send_reset_link(email: str) -> None:
    link = resets.request_reset(
        db.session,
        email,
        source=request.remote_addr or "",
        valid_minutes=current_app.config["PASSWORD_RESET_MINUTES"],
        now=utcnow(),
    )
    if link is None:
        return
    with force_locale(link.user.locale or str(get_locale() or "fr")):
        queue_mail(
            db.session,
            to=link.user.email,
            template="mail/password_reset",
            category="password_reset",
            context={
                "user": link.user,
                "link": f"{current_app.config['BASE_URL']}/password/reset/{link.token}",
                "expires_at": link.expires_at,
            },
        )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> Any:
    """Opening the link shows the form and changes nothing; the POST sets the password."""
    try:
        resets.find_reset(db.session, token, now=utcnow())
    except NotFound as error:
        return render_template("auth/invitation_invalid.html", message=error.message), 404
    form = ResetPasswordForm()
    done = submit(
        form,
        lambda: resets.reset_password(
            db.session, token, form.new_password.data or "", now=utcnow()
        ),
    )
    if done:
        return success(
            _("Your password is changed, and every session is logged out. Log in."), "auth.login"
        )
    return render_template("auth/reset_password.html", form=form), done.status


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
# Opening the link changes nothing (a mail scanner may fetch it): the page offers the buttons,
# and only a POST accepts or declines. A person with a password accepts while logged in.


def _usable_invitation(token: str) -> AcademyInvitation | Any:
    try:
        return academy_services.find_invitation(db.session, token, now=utcnow())
    except NotFound as error:  # a page that says why, rather than the bare 404
        return render_template("auth/invitation_invalid.html", message=error.message), 404


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    invitation = _usable_invitation(token)
    if not isinstance(invitation, AcademyInvitation):
        return invitation
    account = academy_services.invitation_account(db.session, invitation)
    form = _acceptance_form(invitation, account)
    # Single sign-on only: one signs in through the provider (the account is made or linked
    # there), then answers; the link alone creates no account and sets no password.
    sso_first = sso.settings_of(current_app).only and not current_user.is_authenticated
    done = submit(form, lambda: _accept(invitation, account, form)) if not sso_first else None
    if done:
        welcome = _("Welcome to %(academy)s.", academy=invitation.academy.name)
        if current_user.is_authenticated:
            return success(welcome, "academy.home", slug=invitation.academy.slug)
        return success(welcome, "auth.invitation_done")
    page = render_template(
        "auth/accept_invitation.html",
        form=form,
        invitation=invitation,
        needs_login=sso_first or (account is not None and account.password_hash is not None),
        token=token,
        decline_form=ConfirmForm(),
    )
    return page, done.status if done is not None else 200


def _acceptance_form(invitation: AcademyInvitation, account: User | None) -> FlaskForm:
    """Just a button for a logged-in account; the account's name (and password, but for the
    tester panel, whose people answer through personal links) for anyone else."""
    if account is not None and account.password_hash is not None:
        return ConfirmForm()
    if account is not None and current_user.is_authenticated and current_user.id == account.id:
        return ConfirmForm()  # logged in without a password: through single sign-on
    if account is not None and invitation.profile is not None:
        return ConfirmForm()
    if invitation.profile is not None:
        form: FlaskForm = JoinPanelForm()
    else:
        form = AcceptInvitationForm()
    if request.method == "GET":
        form.display_name.data = invitation.display_name
    return form


def _accept(invitation: AcademyInvitation, account: User | None, form: FlaskForm) -> User:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    typed = {name: field.data or "" for name, field in form._fields.items()}
    joined = academy_services.accept_invitation(
        db.session,
        invitation,
        user=user,
        display_name=typed.get("display_name", ""),
        password=typed.get("password"),
        locale=typed.get("locale") or None,
        now=utcnow(),
    )
    if invitation.profile is not None:
        panel.join_panel(db.session, invitation, joined)
    if user is None and joined.password_hash is not None:
        open_session(joined)
    forget_roles()
    return joined


@bp.route("/invitations/<token>/decline", methods=["POST"])
@public
def decline_invitation(token: str) -> Any:
    invitation = _usable_invitation(token)
    if not isinstance(invitation, AcademyInvitation):
        return invitation
    user = current_user._get_current_object() if current_user.is_authenticated else None
    form = ConfirmForm()
    done = submit(
        form,
        lambda: academy_services.decline_invitation(
            db.session, invitation, user=user, now=utcnow()
        ),
    )
    if not done:
        _flash_refusal(form)
        return redirect(url_for("auth.accept_invitation", token=token), code=303)
    flash(_("You declined the invitation. Nothing was shared with the academy."), "info")
    return see_other("auth.invitation_done")


@bp.route("/invitations/done")
@public
def invitation_done() -> Any:
    """Where the link's holder lands when there is no account page to show them."""
    return render_template("auth/invitation_done.html")


# -- Site administration of accounts ------------------------------------------------------------


@bp.route("/admin/users")
@requires(Permission.USER_MANAGE)
def admin_users() -> Any:
    query = query_text("q").lower()
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
