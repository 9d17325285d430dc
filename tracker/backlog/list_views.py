"""The ordered backlog page: filters, reordering, bulk assignment, export (import: import_views).

Routes attach to the backlog blueprint (`bp`, /a/<slug>/...). Filters travel in the query
string everywhere (page links, move and bulk forms, exports), so a filtered view can be shared
and every action comes back to the view it was made from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from tracker import spreadsheets
from tracker.auth.permissions import Permission, brick_scope, can
from tracker.backlog import bp, columns, io, queries, reorder, saved_views, services
from tracker.backlog.list_forms import (
    AssignBricksForm,
    ChooseColumnsForm,
    FilterBacklogForm,
    MoveBrickForm,
    MoveFromListForm,
    QuickAddForm,
    SaveViewForm,
)
from tracker.backlog.models import Brick
from tracker.db import db, parse_whole, utcnow
from tracker.errors import DomainError, NotFound
from tracker.forms import ConfirmForm
from tracker.sprints import scope
from tracker.web import (
    carried_args,
    conditional,
    problem,
    query_page,
    requires,
    submit,
    submit_once,
)

FILTER_ARGS = ("q", "format", "path", "stage", "owner", "sprint", "release", "language", "sort")


def _filters() -> tuple[FilterBacklogForm, queries.BacklogFilters, dict[str, str], Any]:
    """The filter form from the query string, the filters, the args to carry along, choices."""
    scope = brick_scope(current_user, g.academy)
    options = queries.backlog_choices(db.session, g.academy, scope)
    form = FilterBacklogForm(request.args, options=options)
    filters = dataclasses.replace(form.to_filters(), scope=scope)
    return form, filters, carried_args(form, FILTER_ARGS), options


def _render_index(
    *,
    assign_form: AssignBricksForm | None = None,
    quick_form: QuickAddForm | None = None,
    view_form: SaveViewForm | None = None,
    status: int = 200,
    selected: set[int] | None = None,
) -> Any:
    filter_form, filters, carried, options = _filters()
    asked = query_page()
    page = queries.backlog_page(db.session, g.academy, filters, asked)
    if request.method == "GET" and page.page != asked:
        # Past the last page (or below the first): never another page's rows under this
        # page's number; the address says which page is shown.
        return _back_to_list(carried, page=page.page)
    if assign_form is None:
        assign_form = AssignBricksForm(options=options, formdata=None)
    return (
        render_template(
            "backlog/list.html",
            filter_form=filter_form,
            filters=filters,
            carried=carried,
            unsorted={k: v for k, v in carried.items() if k != "sort"},
            page=page,
            assign_form=assign_form,
            shown=columns.shown_columns(current_user),
            optional_columns=columns.OPTIONAL_COLUMNS,
            quick_form=quick_form or QuickAddForm(formdata=None),
            view_form=view_form or SaveViewForm(formdata=None),
            saved_views=saved_views.views_of(db.session, g.academy, current_user),
            team_views=[]
            if filters.scope is not None  # a vendor's member: their own views only
            else saved_views.shared_views(db.session, g.academy, current_user),
            may_share=_may_share(),
            is_manager=can(current_user, Permission.MEMBER_MANAGE, g.academy),
            view_args=saved_views.view_args,
            selected=selected or set(),
        ),
        status,
    )


def _back_to_list(
    carried: dict[str, str], brick: Brick | None = None, page: int | None = None
) -> WerkzeugResponse:
    """303 to the same filtered list, on the page and at the row of `brick` if given."""
    args: dict[str, Any] = dict(carried)
    if page and page > 1:
        args["page"] = page
    if brick is not None:
        args["_anchor"] = f"brick-{brick.number}"
    return redirect(url_for("backlog.index", **args), code=303)


@bp.route("/backlog")
@requires(Permission.BRICK_VIEW)
@conditional
def index() -> Any:
    return _render_index()


# -- Quick add and saved views ---------------------------------------------------------------


@bp.route("/backlog/quick-add", methods=["POST"])
@requires(Permission.BRICK_CREATE)
def quick_add() -> Any:
    """A brick from a title and a format, at the bottom of the backlog; the list is shown again
    at the new brick's row (its page under the current filters, if they keep it)."""
    _form, filters, carried, _options = _filters()
    form = QuickAddForm()
    done = submit_once(
        form,
        Brick,
        lambda: scope.create_brick(
            db.session,
            g.academy,
            actor=current_user,
            title=form.title.data or "",
            format=form.format.data or "",
            now=utcnow(),
        ),
    )
    if not done or done.value is None:
        return _render_index(quick_form=form, status=done.status)
    brick = done.value
    flash(_("%(key)s is created.", key=brick.key), "success")
    page = queries.page_of(db.session, g.academy, filters, brick)
    return _back_to_list(carried, brick, page)


def _may_share() -> bool:
    """Managers and designers share views with the academy's team."""
    return can(current_user, Permission.BRICK_CREATE, g.academy) and (
        brick_scope(current_user, g.academy) is None
    )


@bp.route("/backlog/views", methods=["POST"])
@requires(Permission.BRICK_VIEW)
def save_view() -> Any:
    """Name the filters in the query string (those valid) as one of the person's views."""
    _form, _filters_now, carried, _options = _filters()
    form = SaveViewForm()
    done = submit(
        form,
        lambda: saved_views.save_view(
            db.session,
            g.academy,
            current_user,
            form.name.data or "",
            carried,
            shared=bool(form.shared.data),
            may_share=_may_share(),
        ),
    )
    if not done or done.value is None:
        return _render_index(view_form=form, status=done.status)
    flash(_("The view “%(name)s” is saved.", name=done.value.name), "success")
    return _back_to_list(carried)


@bp.route("/backlog/views/<int:view_id>/delete", methods=["POST"])
@requires(Permission.BRICK_VIEW)
def delete_view(view_id: int) -> Any:
    """Remove one of the person's views, or (a manager) one shared with the academy; any other
    is a 404: private views are nobody else's business."""
    _form, _filters_now, carried, _options = _filters()
    try:
        view = saved_views.removable_view(
            db.session, g.academy, current_user, view_id,
            is_manager=can(current_user, Permission.MEMBER_MANAGE, g.academy),
        )  # fmt: skip
    except NotFound:
        abort(404)
    done = submit(ConfirmForm(), lambda: saved_views.delete_view(db.session, view))
    if not done:
        abort(done.status)
    flash(_("The view “%(name)s” is removed.", name=view.name), "success")
    return _back_to_list(carried)


# -- Columns ---------------------------------------------------------------------------------


@bp.route("/backlog/columns", methods=["POST"])
@requires(Permission.BRICK_VIEW)
def choose_columns() -> Any:
    """Keep the optional columns the person shows (for every academy); back to the same list."""
    _form, _filters_now, carried, _options = _filters()
    form = ChooseColumnsForm()
    done = submit(
        form, lambda: columns.show_columns(db.session, current_user, form.shown.data or [])
    )
    if done:
        flash(_("The backlog shows the columns you chose."), "success")
    else:
        errors = form.shown.errors or form.errors.get("csrf_token") or [_("Choose the columns.")]
        flash(f"{form.shown.label.text}: {errors[0]}", "error")
    return _back_to_list(carried, page=query_page())


# -- Reordering --------------------------------------------------------------------------------


@bp.route("/backlog/<int:number>/move", methods=["POST"])
@requires(Permission.BACKLOG_REORDER)
def move(number: int) -> Any:
    """One brick's move: up, down, top, bottom, or to position N (the list's row menus post to
    move_from_list, which says the brick in the form)."""
    _form, filters, carried, _options = _filters()
    brick = services.get_brick(db.session, g.academy, number)
    form = MoveBrickForm()
    done = submit(
        form,
        lambda: _move_brick(
            brick,
            form.action.data or "",
            int(form.position.data or 1),
            filters,
        ),
    )
    error = None if done else next(iter(form.position.errors or form.action.errors), None)
    return _after_move(
        brick, done, None if done else str(error or _("Choose a move.")), filters, carried
    )


@bp.route("/backlog/move", methods=["POST"])
@requires(Permission.BACKLOG_REORDER)
def move_from_list() -> Any:
    """The keyboard and no-JavaScript way, from the row menus of the list: one form for the
    page, whose buttons say the brick and the move ("12 up"; MoveFromListForm)."""
    _form, filters, carried, _options = _filters()
    form = MoveFromListForm(typed=request.form)
    if not form.validate_on_submit() or form.number is None:
        message = next(iter(form.move.errors), _("Choose a move."))
        flash(str(message), "error")
        return _back_to_list(carried, page=query_page())
    brick = services.get_brick(db.session, g.academy, form.number)
    done = submit(form, lambda: _move_brick(brick, form.action, form.position or 1, filters))
    return _after_move(brick, done, None if done else _("Choose a move."), filters, carried)


def _after_move(
    brick: Brick,
    done: Any,
    error: str | None,
    filters: queries.BacklogFilters,
    carried: dict[str, str],
) -> WerkzeugResponse:
    """Say what the move did (or why not) and show the list at the brick's row."""
    if error is not None:
        flash(error, "error")
    elif done.value:
        where = reorder.describe_move(db.session, brick)
        flash(_("%(key)s is now at position %(n)s.", key=brick.key, n=where["position"]), "success")
    page = queries.page_of(db.session, g.academy, filters, brick)
    return _back_to_list(carried, brick, page)


def _move_brick(brick: Brick, action: str, position: int, filters: queries.BacklogFilters) -> bool:
    if action == "position":
        return reorder.move_brick_to_position(
            db.session, brick, position, actor=current_user, now=utcnow()
        )
    return reorder.step_brick(
        db.session,
        brick,
        action,
        actor=current_user,
        now=utcnow(),
        scope=queries.filter_conditions(g.academy, filters),
    )


def _brick_number(payload: dict[str, Any], key: str) -> int | None:
    """A brick number, given as an integer or as ASCII digits (None: not given); anything else,
    5,000 digits included, is a ValueError naming the key."""
    value = payload.get(key)
    if value is None:
        return None
    number = parse_whole(value)
    if number is None or number > services.MAX_BRICK_NUMBER:
        raise ValueError(_("“%(key)s” must be a brick number.", key=key))
    return number


def _reorder_request() -> tuple[int, int, bool]:
    """The JSON body of a drag and drop: the brick moved, the brick it is dropped beside, and
    whether it goes before that one. ValueError (the message to answer) when malformed."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValueError(_("Send a JSON object."))
    moved, before, after = (_brick_number(payload, key) for key in ("brick", "before", "after"))
    if moved is None or (before is None) == (after is None):
        raise ValueError(_("Give the brick and either “before” or “after”."))
    target = before if before is not None else after
    assert target is not None
    return moved, target, before is not None


@bp.route("/backlog/reorder", methods=["POST"])
@requires(Permission.BACKLOG_REORDER)
def reorder_json() -> Any:
    """Drag and drop: {"brick": 42, "before": 17} or {"brick": 42, "after": 16} (numbers).

    Moves name a neighbour rather than a position, so that a move made on a filtered view is
    right in the whole backlog.
    """
    try:
        moved_number, target_number, goes_before = _reorder_request()
    except ValueError as error:
        return problem(400, str(error))
    try:
        brick = services.get_brick(db.session, g.academy, moved_number)
        target = services.get_brick(db.session, g.academy, target_number)
        moved = reorder.move_brick(
            db.session,
            brick,
            actor=current_user,
            before=target if goes_before else None,
            after=None if goes_before else target,
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        return problem(error.status, error.message)
    where = reorder.describe_move(db.session, brick)
    db.session.commit()
    return jsonify(ok=True, moved=moved, **where)


# -- Bulk assignment ---------------------------------------------------------------------------


@bp.route("/backlog/assign", methods=["POST"])
@requires(Permission.BRICK_EDIT)
def assign() -> Any:
    """Assign the selected bricks to a sprint, a release, a path and/or an owner.

    BRICK_EDIT, not a manager-only permission: designers may already set these fields on each
    brick's edit form; doing it for several at once gives them no new power.
    """
    _form, _unused, carried, options = _filters()
    form = AssignBricksForm(options=options)
    selected = set(form.bricks.data or [])
    done = submit(
        form,
        lambda: scope.assign_bricks(
            db.session, g.academy, sorted(selected), actor=current_user,
            scope_reason=form.scope_reason.data, now=utcnow(), **form.changes(),
        ),
    )  # fmt: skip
    if done:
        count = done.value or 0
        flash(ngettext("%(num)s brick updated.", "%(num)s bricks updated.", count), "success")
        return _back_to_list(carried, page=query_page())
    # The list is shown again with the selection, what was typed and the message (403 when
    # the sprint's scope is not the person's to change).
    return _render_index(assign_form=form, status=done.status, selected=selected)


# -- Export ------------------------------------------------------------------------------------


@bp.route("/backlog/export.<any(csv, xlsx):fmt>")
@requires(Permission.BACKLOG_EXPORT)
def export(fmt: str) -> Any:
    """The filtered backlog, every matching row, in the columns the import reads."""
    _form, filters, _carried, _options = _filters()
    academy = g.academy
    bricks = queries.filtered_bricks(db.session, academy, filters)
    stamp = dt.date.today().isoformat()
    filename = f"{academy.slug}-backlog-{stamp}.{fmt}"
    if fmt == "csv":
        body, mimetype = io.export_csv(bricks, academy.key_prefix), spreadsheets.CSV_MIMETYPE
    else:
        body, mimetype = io.export_xlsx(bricks, academy.key_prefix), spreadsheets.XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
