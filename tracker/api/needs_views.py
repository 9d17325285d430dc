"""/api/v1 training needs: submit, read (builders every need, requesters their own), triage."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api import schemas
from tracker.api.routing import allowed, api_blueprint, page_of
from tracker.api.validation import checked
from tracker.auth.permissions import Permission, can
from tracker.backlog import needs_services as needs
from tracker.backlog.models import TrainingNeed
from tracker.backlog.needs_forms import SubmitNeedForm, TriageNeedForm
from tracker.backlog.needs_views import may_read
from tracker.db import db, utcnow
from tracker.errors import Forbidden
from tracker.forms import form_values

blp = api_blueprint("needs", "Training needs: submitted by the business, triaged by managers.")

NEEDS = "/academies/<slug>/needs"
NEED = "/academies/<slug>/needs/<int:need_id>"


def _need(need: TrainingNeed) -> dict[str, Any]:
    return {
        "id": need.id, "title": need.title, "description": need.description,
        "business_unit": need.business_unit, "requester_name": need.requester_name,
        "population": need.population, "headcount": need.headcount,
        "criticality": need.criticality, "urgency": need.urgency, "status": need.status.value,
        "decline_reason": need.decline_reason, "score": round(needs.score_of(need), 3),
        "brick_numbers": sorted(b.number for b in need.bricks),
        "created_at": need.created_at, "updated_at": need.updated_at,
    }  # fmt: skip


@blp.route(NEEDS, methods=["GET"])
@allowed(None)
@blp.arguments(schemas.NeedQuery, location="query", as_kwargs=False)
@blp.response(200, schemas.NeedPage)
def list_needs(args: dict[str, Any]) -> Any:
    """Every need, highest priority score first (builders); a requester's own needs."""
    if can(current_user, Permission.NEED_VIEW_ALL, g.academy):
        status = args.get("status")
        found = [
            s.need
            for s in needs.list_needs(db.session, g.academy, statuses=[status] if status else [])
        ]
    elif can(current_user, Permission.NEED_SUBMIT, g.academy):
        found = [
            n
            for n in needs.needs_submitted_by(db.session, g.academy, current_user)
            if not args.get("status") or n.status.value == args["status"]
        ]
    else:
        raise Forbidden(_("Your role does not allow this."))
    return page_of([_need(n) for n in found], args["limit"])


@blp.route(NEED, methods=["GET"])
@allowed(None)
@blp.response(200, schemas.Need)
def get_need(need_id: int) -> Any:
    need = needs.get_need(db.session, g.academy, need_id)
    if not may_read(need):
        raise Forbidden(_("Your role does not allow this."))
    return _need(need)


@blp.route(NEEDS, methods=["POST"])
@allowed(Permission.NEED_SUBMIT, write=True)
@blp.arguments(schemas.NeedCreate)
@blp.response(201, schemas.Need)
def submit_need(body: dict[str, Any]) -> Any:
    """Submit a training need (the submit page's form and rules)."""
    form = checked(SubmitNeedForm, body)
    texts = ("title", "description", "business_unit", "requester_name", "population")
    values = form_values(form, "headcount", "criticality", "urgency", texts=texts)
    need = needs.submit_need(db.session, g.academy, actor=current_user, now=utcnow(), **values)
    db.session.commit()
    return _need(need), 201


@blp.route(f"{NEED}/triage", methods=["POST"])
@allowed(Permission.NEED_TRIAGE, write=True)
@blp.arguments(schemas.NeedTriage)
@blp.response(200, schemas.Need)
def triage_need(body: dict[str, Any], need_id: int) -> Any:
    """Move the need to a status; declining needs a `reason` (the requester reads it)."""
    need = needs.get_need(db.session, g.academy, need_id)
    form = checked(TriageNeedForm, body)
    needs.change_need_status(
        db.session, need, form.status.data, actor=current_user, reason=form.reason.data or "",
        now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    return _need(need)
