"""Training need pages: submit, my needs, the scored list, a need (triage, bricks), coverage."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.permissions import Permission, can
from tracker.backlog import needs_bp as bp
from tracker.backlog import needs_services as services
from tracker.backlog.models import NeedStatus, TrainingNeed
from tracker.backlog.needs_forms import (
    EditNeedForm,
    FindBrickForm,
    LinkBrickForm,
    SubmitNeedForm,
    TriageNeedForm,
)
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm, form_values
from tracker.web import query_choice, query_text, requires, see_other, submit, submit_once, success


def may_read(need: TrainingNeed) -> bool:
    """Builders read every need; a requester reads only the needs they submitted."""
    academy = g.academy
    if can(current_user, Permission.NEED_VIEW_ALL, academy):
        return True
    return (
        can(current_user, Permission.NEED_SUBMIT, academy)
        and need.submitted_by_id is not None
        and need.submitted_by_id == current_user.id
    )


def _need_fields(form: SubmitNeedForm) -> dict[str, Any]:
    texts = ("title", "description", "business_unit", "requester_name", "population")
    return form_values(form, "headcount", "criticality", "urgency", texts=texts)


@bp.route("/needs/")
@requires(Permission.NEED_VIEW_ALL)
def index() -> Any:
    status = query_choice("status", [s.value for s in NeedStatus])
    unit = query_text("unit")
    needs = services.list_needs(
        db.session, g.academy, statuses=[status] if status else [], business_unit=unit or None
    )
    return render_template(
        "needs/index.html",
        needs=needs,
        status=status,
        unit=unit,
        units=services.business_units(db.session, g.academy),
    )


@bp.route("/needs/mine")
@requires(Permission.NEED_SUBMIT)
def mine() -> Any:
    return render_template(
        "needs/mine.html", needs=services.needs_submitted_by(db.session, g.academy, current_user)
    )


def _form_page(form: SubmitNeedForm, need: TrainingNeed | None, status: int) -> Any:
    units = services.business_units(db.session, g.academy)
    return render_template("needs/form.html", form=form, need=need, units=units), status


@bp.route("/needs/new", methods=["GET", "POST"], endpoint="submit")
@requires(Permission.NEED_SUBMIT)
def submit_need() -> Any:
    form = SubmitNeedForm()
    done = submit_once(
        form,
        TrainingNeed,
        lambda: services.submit_need(
            db.session, g.academy, actor=current_user, now=utcnow(), **_need_fields(form)
        ),
    )
    if done and done.value:
        return success(
            _("Thank you: the need is submitted. Follow it here."),
            "needs.show",
            need_id=done.value.id,
        )
    return _form_page(form, None, done.status)


@bp.route("/needs/coverage")
@requires(Permission.NEED_COVERAGE)
def coverage() -> Any:
    units = services.coverage(db.session, g.academy)
    return render_template(
        "needs/coverage.html",
        units=units,
        detailed=can(current_user, Permission.NEED_VIEW_ALL, g.academy),
    )


def _need_page(
    need: TrainingNeed,
    *,
    triage_form: TriageNeedForm | None = None,
    status: int = 200,
) -> Any:
    triage = can(current_user, Permission.NEED_TRIAGE, g.academy)
    find_form = FindBrickForm(request.args)
    found = []
    if triage and find_form.q.data:
        found = services.bricks_to_link(db.session, g.academy, need, find_form.q.data)
    if triage_form is None:
        triage_form = TriageNeedForm(status=need.status.value, reason=need.decline_reason)
    return render_template(
        "needs/show.html",
        need=need,
        score=services.score_of(need),
        history=services.need_history(db.session, need),
        triage=triage,
        triage_form=triage_form,
        find_form=find_form,
        found=found,
        confirm_form=ConfirmForm(),
    ), status


# Builders and the requester read a need: the check is in may_read (the marker says "member").
@bp.route("/needs/<int:need_id>/")
@requires(Permission.ACADEMY_VIEW)
def show(need_id: int) -> Any:
    need = services.get_need(db.session, g.academy, need_id)
    if not may_read(need):
        abort(403)
    return _need_page(need)


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@requires(Permission.NEED_TRIAGE)
def edit(need_id: int) -> Any:
    need = services.get_need(db.session, g.academy, need_id)
    form = EditNeedForm(obj=need if request.method == "GET" else None)
    done = submit(
        form,
        lambda: services.update_need(
            db.session, need, actor=current_user, now=utcnow(), **_need_fields(form)
        ),
    )
    if done:
        return success(_("The need is saved."), "needs.show", need_id=need.id)
    return _form_page(form, need, done.status)


@bp.route("/needs/<int:need_id>/status", methods=["POST"])
@requires(Permission.NEED_TRIAGE)
def change_status(need_id: int) -> Any:
    need = services.get_need(db.session, g.academy, need_id)
    form = TriageNeedForm()
    done = submit(
        form,
        lambda: services.change_need_status(
            db.session,
            need,
            form.status.data,
            actor=current_user,
            reason=form.reason.data or "",
            now=utcnow(),
        ),
    )
    if not done:
        return _need_page(need, triage_form=form, status=done.status)
    if done.value:
        flash(_("The status of the need is saved."), "success")
    return see_other("needs.show", need_id=need.id)


@bp.route("/needs/<int:need_id>/bricks", methods=["POST"])
@requires(Permission.NEED_TRIAGE)
def link_brick(need_id: int) -> Any:
    need = services.get_need(db.session, g.academy, need_id)
    form = LinkBrickForm()
    if form.brick_id.data is None:  # no number (only a hand-made request lacks it)
        abort(400)
    brick = services.get_brick_by_id(db.session, g.academy, form.brick_id.data)
    done = submit(
        form, lambda: services.link_brick(db.session, need, brick, actor=current_user, now=utcnow())
    )
    if not done:
        abort(400)
    if done.value:
        flash(_("The need is linked to %(title)s.", title=brick.title), "success")
    return see_other("needs.show", need_id=need.id, _anchor="bricks")


@bp.route("/needs/<int:need_id>/bricks/<int:brick_id>/unlink", methods=["POST"])
@requires(Permission.NEED_TRIAGE)
def unlink_brick(need_id: int, brick_id: int) -> Any:
    need = services.get_need(db.session, g.academy, need_id)
    brick = services.get_brick_by_id(db.session, g.academy, brick_id)
    done = submit(
        ConfirmForm(),
        lambda: services.unlink_brick(db.session, need, brick, actor=current_user, now=utcnow()),
    )
    if not done:
        abort(400)
    if done.value:
        flash(_("%(title)s is no longer linked to the need.", title=brick.title), "success")
    return see_other("needs.show", need_id=need.id, _anchor="bricks")
