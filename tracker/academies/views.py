"""Academy pages: the list, creation, the academy's home, settings and members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from tracker.academies import academy_bp, bp, services
from tracker.academies.forms import (
    ChangeRoleForm,
    CreateAcademyForm,
    EditAcademyForm,
    InviteMemberForm,
)
from tracker.academies.labels import ROLE_LABELS
from tracker.academies.models import Academy, Role
from tracker.academies.pulse import academy_pulse
from tracker.auth.permissions import Permission, can, forget_roles, role_in
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm
from tracker.templating import my_academies
from tracker.web import authenticated, requires, see_other, submit, submit_once, success


def _flash_refusal(form: FlaskForm) -> None:
    """A button's refusal (see submit()) is told on the page it redirects to."""
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")


@bp.route("/")
@authenticated
def index() -> Any:
    everything = services.all_academies(db.session) if current_user.is_admin else None
    return render_template("academies/index.html", mine=my_academies(), everything=everything)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.ACADEMY_CREATE)
def create() -> Any:
    form = CreateAcademyForm(is_slug_taken=lambda slug: services.is_slug_taken(db.session, slug))
    done = submit_once(
        form,
        Academy,
        lambda: services.create_academy(
            db.session,
            name=form.name.data or "",
            slug=form.slug.data or "",
            key_prefix=form.key_prefix.data or "",
            description=form.description.data or "",
            default_locale=form.default_locale.data or "fr",
            actor=current_user,
        ),
    )
    if done and done.value:
        flash(_("The academy %(name)s is created. Invite its manager.", name=done.value.name))
        return see_other("academy.members", slug=done.value.slug)
    return render_template("academies/new.html", form=form), done.status


@academy_bp.route("/")
@requires(Permission.ACADEMY_VIEW)
def home() -> Any:
    academy = g.academy
    if session.get("academy") != academy.slug:  # only then does the cookie change
        session["academy"] = academy.slug
    if role_in(current_user, academy) == Role.STAKEHOLDER:
        # A sponsor's home is their own page: releases, aggregates, their needs (tracker/releases).
        return see_other("releases.overview_page")
    if role_in(current_user, academy) == Role.VENDOR:
        # A vendor's contact works from their portal: their bricks, specifications, quotes.
        return see_other("vendors.portal")
    builder = can(current_user, Permission.BRICK_VIEW, academy)
    return render_template(
        "academies/home.html",
        role=role_in(current_user, academy),
        counts=services.role_counts(db.session, academy),
        stages=academy.stages,
        pulse=academy_pulse(db.session, academy) if builder else None,
    )


@academy_bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.ACADEMY_EDIT)
def settings() -> Any:
    academy = g.academy
    form = EditAcademyForm(obj=academy if request.method == "GET" else None)
    done = submit(
        form, lambda: services.update_academy(db.session, academy, **_settings(form, academy))
    )
    if done:
        return success(_("The settings are saved."), "academy.settings")
    return render_template("academies/settings.html", form=form), done.status


def _settings(form: EditAcademyForm, academy: Academy) -> dict[str, Any]:
    """The form's values; a gate threshold left empty keeps the academy's current one."""
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "default_locale": form.default_locale.data or "fr",
        "sprint_length_days": form.sprint_length_days.data or 14,
        "gate_min_responses": _or(form.gate_min_responses.data, academy.gate_min_responses),
        "gate_min_response_rate": float(
            _or(form.gate_min_response_rate.data, academy.gate_min_response_rate)
        ),
        "gate_min_csat": float(_or(form.gate_min_csat.data, academy.gate_min_csat)),
        "gate_min_nps": float(_or(form.gate_min_nps.data, academy.gate_min_nps)),
        "gate_max_blocking": _or(form.gate_max_blocking.data, academy.gate_max_blocking),
    }


def _or(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


# -- Members ------------------------------------------------------------------------------------


def _members_page(invite_form: InviteMemberForm, status: int = 200) -> Any:
    academy = g.academy
    members = services.list_members(db.session, academy)
    invitations = services.pending_invitations(db.session, academy, now=utcnow())
    role_forms = {m.id: ChangeRoleForm(prefix=f"m{m.id}", role=m.role.value) for m in members}
    return (
        render_template(
            "academies/members.html",
            members=members,
            invitations=invitations,
            invite_form=invite_form,
            role_forms=role_forms,
            confirm_form=ConfirmForm(),
            history=services.member_history(db.session, academy),
        ),
        status,
    )


@academy_bp.route("/members")
@requires(Permission.MEMBER_LIST)
def members() -> Any:
    return _members_page(InviteMemberForm())


@academy_bp.route("/members/invite", methods=["POST"])
@requires(Permission.MEMBER_INVITE)
def invite() -> Any:
    form = InviteMemberForm()
    done = submit(
        form,
        lambda: services.invite_member(
            db.session,
            g.academy,
            email=form.email.data or "",
            role=Role(form.role.data),
            actor=current_user,
            base_url=current_app.config["BASE_URL"],
            valid_days=current_app.config["INVITATION_DAYS"],
            now=utcnow(),
        ),
    )
    if not done or done.value is None:
        return _members_page(form, done.status)
    # The same words whether the address has an account or not (see services.invite_member).
    return success(
        _("An invitation is on its way to %(email)s.", email=done.value.email), "academy.members"
    )


@academy_bp.route("/members/<int:membership_id>/role", methods=["POST"])
@requires(Permission.MEMBER_MANAGE)
def change_role(membership_id: int) -> Any:
    membership = services.get_membership(db.session, g.academy, membership_id)
    form = ChangeRoleForm(prefix=f"m{membership.id}")
    if form.is_submitted() and form.role.data not in {role.value for role in Role}:
        flash(_("Choose a role."), "error")  # a request made by hand
        return see_other("academy.members")
    return _change_members(
        form,
        lambda: services.change_role(
            db.session, membership, Role(form.role.data), actor=current_user, now=utcnow()
        ),
        lambda: _(
            "%(name)s is now %(role)s.",
            name=membership.user.display_name,
            role=ROLE_LABELS[membership.role],
        ),
    )


def _change_members(form: FlaskForm, change: Callable[[], object], said: Callable[[], str]) -> Any:
    """Change the members (the roles read so far are forgotten), then back to their page,
    saying what changed or why not."""
    if submit(form, change):
        forget_roles()
        flash(said(), "success")
    else:
        _flash_refusal(form)
    return see_other("academy.members")


@academy_bp.route("/members/<int:membership_id>/remove", methods=["POST"])
@requires(Permission.MEMBER_MANAGE)
def remove_member(membership_id: int) -> Any:
    membership = services.get_membership(db.session, g.academy, membership_id)
    name = membership.user.display_name
    return _change_members(
        ConfirmForm(),
        lambda: services.remove_member(db.session, membership, actor=current_user, now=utcnow()),
        lambda: _("%(name)s is no longer a member.", name=name),
    )


@academy_bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(Permission.MEMBER_INVITE)
def revoke_invitation(invitation_id: int) -> Any:
    invitation = services.get_invitation(db.session, g.academy, invitation_id)
    if submit(
        ConfirmForm(),
        lambda: services.revoke_invitation(
            db.session, invitation, actor=current_user, now=utcnow()
        ),
    ):
        flash(_("The invitation to %(email)s is cancelled.", email=invitation.email), "success")
    return see_other("academy.members")
