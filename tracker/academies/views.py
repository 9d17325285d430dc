"""Academy pages: the list, creation, the academy's home, settings and members."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from tracker.academies import academy_bp, bp, services
from tracker.academies.forms import (
    ChangeRoleForm,
    CreateAcademyForm,
    EditAcademyForm,
    InviteMemberForm,
)
from tracker.academies.labels import ROLE_LABELS
from tracker.academies.models import AcademyInvitation, Membership, Role
from tracker.auth.permissions import Permission, can, forget_roles, role_in
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.forms import ConfirmForm
from tracker.templating import my_academies
from tracker.web import attach_error, authenticated, requires, see_other


@bp.route("/")
@authenticated
def index() -> Any:
    everything = services.all_academies(db.session) if current_user.is_admin else None
    return render_template("academies/index.html", mine=my_academies(), everything=everything)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.ACADEMY_CREATE)
def create() -> Any:
    form = CreateAcademyForm(is_slug_taken=lambda slug: services.is_slug_taken(db.session, slug))
    if form.validate_on_submit():
        try:
            academy = services.create_academy(
                db.session,
                name=form.name.data or "",
                slug=form.slug.data or "",
                key_prefix=form.key_prefix.data or "",
                description=form.description.data or "",
                default_locale=form.default_locale.data or "fr",
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The academy %(name)s is created. Invite its manager.", name=academy.name))
            return see_other("academy.members", slug=academy.slug)
    status = 422 if request.method == "POST" else 200
    return render_template("academies/new.html", form=form), status


@academy_bp.route("/")
@requires(Permission.ACADEMY_VIEW)
def home() -> Any:
    academy = g.academy
    if session.get("academy") != academy.slug:  # only then does the cookie change
        session["academy"] = academy.slug
    if role_in(current_user, academy) == Role.STAKEHOLDER:
        # A sponsor's home is their own page: releases, aggregates, their needs (tracker/releases).
        return see_other("releases.overview_page")
    counts = dict(
        db.session.execute(
            select(Membership.role, func.count(Membership.id))
            .where(Membership.academy_id == academy.id)
            .group_by(Membership.role)
        ).all()
    )
    from tracker.academies.pulse import academy_pulse

    builder = can(current_user, Permission.BRICK_VIEW, academy)
    return render_template(
        "academies/home.html",
        role=role_in(current_user, academy),
        counts=counts,
        stages=academy.stages,
        pulse=academy_pulse(db.session, academy) if builder else None,
    )


@academy_bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.ACADEMY_EDIT)
def settings() -> Any:
    academy = g.academy
    form = EditAcademyForm(obj=academy if request.method == "GET" else None)
    if form.validate_on_submit():
        services.update_academy(
            db.session,
            academy,
            name=form.name.data or "",
            description=form.description.data or "",
            default_locale=form.default_locale.data or "fr",
            sprint_length_days=form.sprint_length_days.data or 14,
            gate_min_responses=_or(form.gate_min_responses.data, academy.gate_min_responses),
            gate_min_response_rate=float(
                _or(form.gate_min_response_rate.data, academy.gate_min_response_rate)
            ),
            gate_min_csat=float(_or(form.gate_min_csat.data, academy.gate_min_csat)),
            gate_min_nps=float(_or(form.gate_min_nps.data, academy.gate_min_nps)),
            gate_max_blocking=_or(form.gate_max_blocking.data, academy.gate_max_blocking),
        )
        db.session.commit()
        flash(_("The settings are saved."), "success")
        return see_other("academy.settings")
    status = 422 if request.method == "POST" else 200
    return render_template("academies/settings.html", form=form), status


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
    if not form.validate_on_submit():
        return _members_page(form, 422)
    try:
        result = services.invite_member(
            db.session,
            g.academy,
            email=form.email.data or "",
            role=Role(form.role.data),
            actor=current_user,
            base_url=current_app.config["BASE_URL"],
            valid_days=current_app.config["INVITATION_DAYS"],
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _members_page(form, 422)
    db.session.commit()
    if isinstance(result, AcademyInvitation):
        flash(_("An invitation is on its way to %(email)s.", email=result.email), "success")
    else:
        flash(
            _(
                "%(name)s already had an account and is now %(role)s.",
                name=result.user.display_name,
                role=ROLE_LABELS[result.role],
            ),
            "success",
        )
    return see_other("academy.members")


@academy_bp.route("/members/<int:membership_id>/role", methods=["POST"])
@requires(Permission.MEMBER_MANAGE)
def change_role(membership_id: int) -> Any:
    membership = services.get_membership(db.session, g.academy, membership_id)
    form = ChangeRoleForm(prefix=f"m{membership.id}")
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
        return see_other("academy.members")
    try:
        services.change_role(db.session, membership, Role(form.role.data))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        forget_roles()
        flash(
            _(
                "%(name)s is now %(role)s.",
                name=membership.user.display_name,
                role=ROLE_LABELS[membership.role],
            ),
            "success",
        )
    return see_other("academy.members")


@academy_bp.route("/members/<int:membership_id>/remove", methods=["POST"])
@requires(Permission.MEMBER_MANAGE)
def remove_member(membership_id: int) -> Any:
    membership = services.get_membership(db.session, g.academy, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = membership.user.display_name
    try:
        services.remove_member(db.session, membership)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        forget_roles()
        flash(_("%(name)s is no longer a member.", name=name), "success")
    return see_other("academy.members")


@academy_bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(Permission.MEMBER_INVITE)
def revoke_invitation(invitation_id: int) -> Any:
    invitation = db.session.get(AcademyInvitation, invitation_id)
    if invitation is None or invitation.academy_id != g.academy.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke_invitation(db.session, invitation, now=utcnow())
    db.session.commit()
    flash(_("The invitation to %(email)s is cancelled.", email=invitation.email), "success")
    return see_other("academy.members")
