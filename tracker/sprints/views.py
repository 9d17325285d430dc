"""Sprint pages: the list, plan and edit, the planning view (commit bricks), start, close, the
sprint page with its burndown and burnup, and the reports (velocity, cumulative flow, lead and
cycle times). Charts are SVG drawn on the server (sprints.svg) from the history (sprints.charts).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import list_paths, totals_by
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.forms import ConfirmForm
from tracker.sprints import bp, charts, services, svg
from tracker.sprints.forms import (
    CommitBricksForm,
    EditSprintForm,
    PlanningFilterForm,
    PlanSprintForm,
    RemoveBricksForm,
    ReportPeriodForm,
    close_sprint_form,
)
from tracker.sprints.models import Sprint, SprintState
from tracker.web import attach_error, requires, see_other


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
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
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


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


# -- The sprint page ---------------------------------------------------------------------------


@bp.route("/sprints/<int:sprint_id>/")
@requires(Permission.SPRINT_VIEW)
def show(sprint_id: int) -> Any:
    """Goal, dates, capacity, what is committed and done, burndown and burnup, scope changes.

    A fixed number of queries whatever the number of bricks and events.
    """
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    stages = services.list_stages(db.session, g.academy)
    series = charts.sprint_series(
        db.session, sprint, charts.done_stage_ids(stages), tz=_tz(), now=utcnow()
    )
    prefix = g.academy.key_prefix
    baseline = services.baseline_of(db.session, sprint)
    return render_template(
        "sprints/show.html",
        sprint=sprint,
        commitment=services.commitment(db.session, sprint),
        series=series,
        burndown=svg.burndown_chart(series, prefix) if series else None,
        burnup=svg.burnup_chart(series, prefix) if series else None,
        baseline=baseline,
        baseline_points=sum(item.points or 0 for item in baseline),
        scope_changes=services.scope_changes_of(db.session, sprint),
        result=services.result_of(db.session, sprint)
        if sprint.state == SprintState.CLOSED
        else None,
        bricks=services.sprint_bricks(db.session, sprint),
    )


# -- Planning: the backlog beside the sprint ---------------------------------------------------


def _planning_args() -> dict[str, Any]:
    """The planning view's query string (filters, page), carried by its forms and links."""
    return {k: str(request.args[k]) for k in ("path", "format", "page") if request.args.get(k)}


def _render_plan(
    sprint: Sprint,
    *,
    commit_form: CommitBricksForm | None = None,
    remove_form: RemoveBricksForm | None = None,
    status: int = 200,
) -> Any:
    paths = list_paths(db.session, g.academy)
    filter_form = PlanningFilterForm(request.args, paths=paths)
    fmt, path_id = filter_form.values()
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    candidates = services.planning_candidates(
        db.session, g.academy, format=fmt, learning_path_id=path_id, page=page
    )
    return (
        render_template(
            "sprints/plan.html",
            sprint=sprint,
            filter_form=filter_form,
            candidates=candidates,
            bricks=services.sprint_bricks(db.session, sprint),
            commitment=services.commitment(db.session, sprint),
            commit_form=commit_form or CommitBricksForm(formdata=None),
            remove_form=remove_form or RemoveBricksForm(formdata=None),
            args=_planning_args(),
        ),
        status,
    )


@bp.route("/sprints/<int:sprint_id>/plan")
@requires(Permission.SPRINT_MANAGE)
def plan(sprint_id: int) -> Any:
    return _render_plan(services.get_sprint(db.session, g.academy, sprint_id))


@bp.route("/sprints/<int:sprint_id>/commit", methods=["POST"])
@requires(Permission.SPRINT_MANAGE)
def commit(sprint_id: int) -> Any:
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = CommitBricksForm()
    if form.validate():
        try:
            moved = services.commit_bricks(
                db.session,
                sprint,
                form.brick.data or [],
                actor=current_user,
                reason=form.reason.data,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            return _render_plan(sprint, commit_form=form, status=error.status)
        db.session.commit()
        flash(
            ngettext(
                "%(num)s brick committed to %(name)s.",
                "%(num)s bricks committed to %(name)s.",
                moved,
                name=sprint.name,
            ),
            "success",
        )
        return redirect(url_for("sprints.plan", sprint_id=sprint.id, **_planning_args()), 303)
    return _render_plan(sprint, commit_form=form, status=422)


@bp.route("/sprints/<int:sprint_id>/remove", methods=["POST"])
@requires(Permission.SPRINT_MANAGE)
def remove(sprint_id: int) -> Any:
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = RemoveBricksForm()
    if form.validate():
        try:
            removed = services.remove_bricks(
                db.session,
                sprint,
                form.brick.data or [],
                actor=current_user,
                reason=form.reason.data,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            return _render_plan(sprint, remove_form=form, status=error.status)
        db.session.commit()
        flash(
            ngettext(
                "%(num)s brick sent back to the backlog.",
                "%(num)s bricks sent back to the backlog.",
                removed,
            ),
            "success",
        )
        return redirect(url_for("sprints.plan", sprint_id=sprint.id, **_planning_args()), 303)
    return _render_plan(sprint, remove_form=form, status=422)


# -- Start and close ---------------------------------------------------------------------------


@bp.route("/sprints/<int:sprint_id>/start", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def start(sprint_id: int) -> Any:
    """A confirmation page (what the baseline will hold), then the start itself."""
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                baseline = services.start_sprint(
                    db.session, sprint, actor=current_user, now=utcnow()
                )
            except DomainError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
                status = error.status
            else:
                db.session.commit()
                flash(
                    _(
                        "%(name)s has started: its baseline holds %(count)s bricks.",
                        name=sprint.name,
                        count=len(baseline),
                    ),
                    "success",
                )
                return see_other("sprints.show", sprint_id=sprint.id)
        else:
            status = 422
    return (
        render_template(
            "sprints/start.html",
            sprint=sprint,
            form=form,
            commitment=services.commitment(db.session, sprint),
            active=services.active_sprint(db.session, g.academy),
        ),
        status,
    )


@bp.route("/sprints/<int:sprint_id>/close", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def close(sprint_id: int) -> Any:
    """The unfinished bricks, each with where it goes (backlog or a planned sprint)."""
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    unfinished = services.unfinished_bricks(db.session, sprint)
    targets = services.planned_sprints(db.session, g.academy, except_id=sprint.id)
    form = close_sprint_form(unfinished, targets)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                result = services.close_sprint(
                    db.session, sprint, form.destinations(), actor=current_user, now=utcnow()
                )
            except DomainError as error:
                db.session.rollback()
                # Show the sprint as it is now (a brick may have joined it meanwhile).
                unfinished = services.unfinished_bricks(db.session, sprint)
                form = close_sprint_form(unfinished, targets, formdata=None)
                attach_error(form, error)
                status = error.status
            else:
                db.session.commit()
                flash(
                    _(
                        "%(name)s is closed: %(done)s points completed, %(carried)s carried over.",
                        name=sprint.name,
                        done=result.completed_points,
                        carried=result.carried_points,
                    ),
                    "success",
                )
                return see_other("sprints.show", sprint_id=sprint.id)
        else:
            status = 422
    return (
        render_template(
            "sprints/close.html",
            sprint=sprint,
            form=form,
            unfinished=unfinished,
            commitment=services.commitment(db.session, sprint),
        ),
        status,
    )


# -- Reports -----------------------------------------------------------------------------------


@bp.route("/reports")
@requires(Permission.REPORT_VIEW)
def reports() -> Any:
    """Velocity, cumulative flow and lead/cycle times: aggregates only (stakeholders read it).

    A fixed number of queries whatever the number of bricks, events and days.
    """
    tz = _tz()
    now = utcnow()
    today = now.astimezone(tz).date()
    form = ReportPeriodForm(request.args)
    valid = form.validate()
    first, last = form.period(today)
    stages = services.list_stages(db.session, g.academy)
    names: dict[int | None, str] = {s.id: s.name for s in stages}

    def stage_label(stage_id: int | None) -> str:
        return names.get(stage_id) or _("Removed stage")

    velocity = charts.velocity(db.session, g.academy, charts.done_stage_ids(stages))
    flow = charts.cumulative_flow(db.session, g.academy, stages, first, last, tz=tz, now=now)
    times = charts.flow_times(db.session, g.academy, stages, first, last, tz=tz, now=now)
    return (
        render_template(
            "sprints/reports.html",
            form=form,
            first=first,
            last=last,
            velocity=velocity,
            velocity_chart=svg.velocity_chart(velocity) if velocity.sprints else None,
            flow=flow,
            flow_chart=svg.flow_chart(flow, stage_label) if flow.days else None,
            stage_label=stage_label,
            times=times,
            lead_chart=svg.time_chart("lead", _("Lead time"), times.lead),
            cycle_chart=svg.time_chart("cycle", _("Cycle time"), times.cycle),
            bin_label=svg.bin_label,
        ),
        200 if valid else 422,
    )
