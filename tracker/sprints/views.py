"""Sprint pages: the list, plan and edit, the planning view (commit bricks), start, close, the
sprint page with its burndown and burnup, and the reports (velocity, cumulative flow, lead and
cycle times). Charts are SVG drawn on the server (sprints.svg) from the history (sprints.charts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    flash,
    g,
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
from tracker.forms import ConfirmForm, form_values
from tracker.sprints import bp, queries, services, svg
from tracker.sprints.forms import (
    CloseSprintForm,
    CommitBricksForm,
    EditSprintForm,
    PlanningFilterForm,
    PlanSprintForm,
    RemoveBricksForm,
    ReportPeriodForm,
    close_sprint_form,
)
from tracker.sprints.models import Sprint, SprintResult, SprintState
from tracker.web import (
    Submission,
    attach_error,
    conditional,
    name_rule,
    query_page,
    requires,
    see_other,
    submit,
    submit_once,
    success,
)


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
    form = PlanSprintForm(is_name_taken=name_rule(services.is_sprint_name_taken))
    if request.method == "GET":
        form.start_date.data, form.end_date.data = services.suggest_dates(
            db.session, g.academy, utcnow().date()
        )
    done = submit_once(
        form,
        Sprint,
        lambda: services.create_sprint(db.session, g.academy, **_sprint_fields(form)),
    )
    if done and done.value:
        return success(_("The sprint %(name)s is planned.", name=done.value.name), "sprints.index")
    return render_template("sprints/form.html", form=form, sprint=None), done.status


def _sprint_fields(form: PlanSprintForm) -> dict[str, Any]:
    return form_values(form, "start_date", "end_date", "capacity_points", texts=("name", "goal"))


@bp.route("/sprints/<int:sprint_id>/edit", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def edit(sprint_id: int) -> Any:
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = EditSprintForm(
        obj=sprint if request.method == "GET" else None,
        is_name_taken=name_rule(services.is_sprint_name_taken, sprint.id),
    )
    done = submit(form, lambda: services.update_sprint(db.session, sprint, **_sprint_fields(form)))
    if done:
        return success(_("The sprint is saved."), "sprints.index")
    return render_template("sprints/form.html", form=form, sprint=sprint), done.status


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


# -- The sprint page ---------------------------------------------------------------------------


@bp.route("/sprints/<int:sprint_id>/")
@requires(Permission.SPRINT_VIEW)
@conditional
def show(sprint_id: int) -> Any:
    """Goal, dates, capacity, what is committed and done, burndown and burnup, scope changes.

    A fixed number of queries whatever the number of bricks and events.
    """
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    series = queries.burn_series(db.session, g.academy, sprint, tz=_tz(), now=utcnow())
    prefix = g.academy.key_prefix
    baseline = services.baseline_of(db.session, sprint)
    closed = sprint.state == SprintState.CLOSED
    return render_template(
        "sprints/show.html",
        sprint=sprint,
        commitment=queries.commitment(db.session, sprint),
        series=series,
        burndown=svg.burndown_chart(series, prefix) if series else None,
        burnup=svg.burnup_chart(series, prefix) if series else None,
        baseline=baseline,
        baseline_points=sum(item.points or 0 for item in baseline),
        scope_changes=queries.scope_changes_of(db.session, sprint),
        result=queries.result_of(db.session, sprint) if closed else None,
        bricks=queries.sprint_bricks(db.session, sprint),
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
    page = query_page()
    candidates = queries.planning_candidates(
        db.session, g.academy, format=fmt, learning_path_id=path_id, page=page
    )
    return (
        render_template(
            "sprints/plan.html",
            sprint=sprint,
            filter_form=filter_form,
            candidates=candidates,
            bricks=queries.sprint_bricks(db.session, sprint),
            commitment=queries.commitment(db.session, sprint),
            commit_form=commit_form or CommitBricksForm(formdata=None),
            remove_form=remove_form or RemoveBricksForm(formdata=None),
            args=_planning_args(),
            page_url=url_for("sprints.plan", sprint_id=sprint.id, **_planning_args()),
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
    return _scope_view(sprint_id, "commit_form", services.commit_bricks, _committed)


@bp.route("/sprints/<int:sprint_id>/remove", methods=["POST"])
@requires(Permission.SPRINT_MANAGE)
def remove(sprint_id: int) -> Any:
    return _scope_view(sprint_id, "remove_form", services.remove_bricks, _removed)


def _committed(count: int, sprint: Sprint) -> str:
    return ngettext(
        "%(num)s brick committed to %(name)s.",
        "%(num)s bricks committed to %(name)s.",
        count,
        name=sprint.name,
    )


def _removed(count: int, sprint: Sprint) -> str:
    return ngettext(
        "%(num)s brick sent back to the backlog.", "%(num)s bricks sent back to the backlog.", count
    )


def _scope_view(
    sprint_id: int,
    form_name: str,
    change: Callable[..., int],
    message: Callable[[int, Sprint], str],
) -> Any:
    """Commit bricks to a sprint or send them back: the plan page again on a refusal."""
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = CommitBricksForm() if form_name == "commit_form" else RemoveBricksForm()
    done = _change_scope(form, change, sprint)
    if not done:
        return _render_plan(sprint, status=done.status, **{form_name: form})
    return success(
        message(done.value or 0, sprint), "sprints.plan", sprint_id=sprint.id, **_planning_args()
    )


def _change_scope(
    form: CommitBricksForm | RemoveBricksForm,
    change: Callable[..., int],
    sprint: Sprint,
) -> Submission[int]:
    """Commit bricks to the sprint, or send them back: the chosen bricks, with the reason
    (required once the sprint has started)."""
    return submit(
        form,
        lambda: change(
            db.session, sprint, form.brick.data or [], actor=current_user,
            reason=form.reason.data, now=utcnow(),
        ),
    )  # fmt: skip


# -- Start and close ---------------------------------------------------------------------------


@bp.route("/sprints/<int:sprint_id>/start", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def start(sprint_id: int) -> Any:
    """A confirmation page (what the baseline will hold), then the start itself."""
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    form = ConfirmForm()
    done = submit(
        form, lambda: services.start_sprint(db.session, sprint, actor=current_user, now=utcnow())
    )
    if done:
        count = len(done.value or [])
        flash(
            ngettext("%(name)s has started: its baseline holds %(num)s brick.",
                     "%(name)s has started: its baseline holds %(num)s bricks.",
                     count, name=sprint.name),
            "success",
        )  # fmt: skip
        return see_other("sprints.show", sprint_id=sprint.id)
    return render_template(
        "sprints/start.html",
        sprint=sprint,
        form=form,
        commitment=queries.commitment(db.session, sprint),
        active=services.active_sprint(db.session, g.academy),
    ), done.status


@bp.route("/sprints/<int:sprint_id>/close", methods=["GET", "POST"])
@requires(Permission.SPRINT_MANAGE)
def close(sprint_id: int) -> Any:
    """The unfinished bricks, each with where it goes (backlog or a planned sprint)."""
    sprint = services.get_sprint(db.session, g.academy, sprint_id)
    unfinished = services.unfinished_bricks(db.session, sprint)
    targets = services.planned_sprints(db.session, g.academy, except_id=sprint.id)
    form = close_sprint_form(unfinished, targets)
    if not form.validate_on_submit():
        return _close_page(sprint, form, unfinished, 422 if request.method == "POST" else 200)
    # Not submit(): a refusal shows the sprint as it is now (a brick may have joined it
    # meanwhile), in a form made again for its bricks.
    try:
        result = services.close_sprint(
            db.session, sprint, form.destinations(), actor=current_user, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        unfinished = services.unfinished_bricks(db.session, sprint)
        form = close_sprint_form(unfinished, targets, formdata=None)
        attach_error(form, error)
        return _close_page(sprint, form, unfinished, error.status)
    db.session.commit()
    _flash_closed(sprint, result)
    return see_other("sprints.show", sprint_id=sprint.id)


def _close_page(sprint: Sprint, form: CloseSprintForm, unfinished: list[Brick], status: int) -> Any:
    commitment = queries.commitment(db.session, sprint)
    page = render_template(
        "sprints/close.html", sprint=sprint, form=form, unfinished=unfinished, commitment=commitment
    )
    return page, status


def _flash_closed(sprint: Sprint, result: SprintResult) -> None:
    flash(
        _(
            "%(name)s is closed. Points completed: %(done)s; carried over: %(carried)s.",
            name=sprint.name,
            done=result.completed_points,
            carried=result.carried_points,
        ),
        "success",
    )


# -- Reports -----------------------------------------------------------------------------------


@bp.route("/reports")
@requires(Permission.REPORT_VIEW)
@conditional
def reports() -> Any:
    """Velocity, cumulative flow and lead/cycle times: aggregates only (stakeholders read it).

    A fixed number of queries whatever the number of bricks, events and days.
    """
    tz, now = _tz(), utcnow()
    form = ReportPeriodForm(request.args)
    valid = form.validate()
    first, last = form.period(now.astimezone(tz).date())
    figures = queries.reports(db.session, g.academy, first, last, tz=tz, now=now)
    names: dict[int | None, str] = {s.id: s.name for s in figures.stages}

    def stage_label(stage_id: int | None) -> str:
        return names.get(stage_id) or _("Removed stage")

    return render_template(
        "sprints/reports.html",
        form=form,
        first=first,
        last=last,
        stage_label=stage_label,
        bin_label=svg.bin_label,
        **_report_charts(figures, stage_label),
    ), (200 if valid else 422)


def _report_charts(figures: queries.Reports, stage_label: Any) -> dict[str, Any]:
    velocity, flow, times = figures.velocity, figures.flow, figures.times
    return {
        "velocity": velocity,
        "velocity_chart": svg.velocity_chart(velocity) if velocity.sprints else None,
        "flow": flow,
        "flow_chart": svg.flow_chart(flow, stage_label) if flow.days else None,
        "times": times,
        "lead_chart": svg.time_chart("lead", _("Lead time"), times.lead),
        "cycle_chart": svg.time_chart("cycle", _("Cycle time"), times.cycle),
    }
