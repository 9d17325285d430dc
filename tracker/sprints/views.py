"""Sprint pages, minimal for now: the list with committed points, plan and edit a sprint.

The board, starting and closing a sprint and its charts come with the sprint/board work.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, render_template, request
from flask_babel import gettext as _

from tracker.academies.views import add_slug, load_academy
from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import totals_by
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound
from tracker.sprints import services
from tracker.sprints.forms import EditSprintForm, PlanSprintForm
from tracker.sprints.models import Sprint
from tracker.web import attach_error, requires, see_other

bp = Blueprint("sprints", __name__, url_prefix="/a/<slug>")
bp.url_value_preprocessor(load_academy)
bp.url_defaults(add_slug)


def _sprint_or_404(sprint_id: int) -> Sprint:
    try:
        return services.get_sprint(db.session, g.academy, sprint_id)
    except NotFound:
        abort(404)


@bp.route("/sprints/")
@requires(Permission.SPRINT_VIEW)
def index() -> Any:
    return render_template(
        "sprints/index.html",
        sprints=services.list_sprints(db.session, g.academy),
        totals=totals_by(db.session, g.academy, Brick.sprint_id),
    )


@bp.route("/sprints/new", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def create() -> Any:
    form = PlanSprintForm(
        is_name_taken=lambda name: services.is_sprint_name_taken(db.session, g.academy, name)
    )
    if request.method == "GET":
        form.start_date.data, form.end_date.data = services.suggest_dates(
            db.session, g.academy, utcnow().date()
        )
    if form.validate_on_submit():
        try:
            sprint = services.create_sprint(
                db.session,
                g.academy,
                name=form.name.data or "",
                goal=form.goal.data or "",
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                capacity_points=form.capacity_points.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The sprint %(name)s is planned.", name=sprint.name), "success")
            return see_other("sprints.index")
    status = 422 if request.method == "POST" else 200
    return render_template("sprints/form.html", form=form, sprint=None), status


@bp.route("/sprints/<int:sprint_id>/edit", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def edit(sprint_id: int) -> Any:
    sprint = _sprint_or_404(sprint_id)
    form = EditSprintForm(
        obj=sprint if request.method == "GET" else None,
        is_name_taken=lambda name: services.is_sprint_name_taken(
            db.session, g.academy, name, except_id=sprint.id
        ),
    )
    if form.validate_on_submit():
        try:
            services.update_sprint(
                db.session,
                sprint,
                name=form.name.data or "",
                goal=form.goal.data or "",
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                capacity_points=form.capacity_points.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The sprint is saved."), "success")
            return see_other("sprints.index")
    status = 422 if request.method == "POST" else 200
    return render_template("sprints/form.html", form=form, sprint=sprint), status
