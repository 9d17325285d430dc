"""Learning path pages: the ordered list, create, edit, move, delete, a path with its bricks."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.auth.permissions import Permission
from tracker.backlog import paths_bp as bp
from tracker.backlog import paths_services as services
from tracker.backlog.models import Brick
from tracker.backlog.paths_forms import CreatePathForm, EditPathForm, MovePathForm
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.forms import ConfirmForm
from tracker.web import attach_error, requires, see_other


@bp.route("/paths/")
@requires(Permission.PATH_VIEW)
def index() -> Any:
    paths = services.list_paths(db.session, g.academy)
    return render_template(
        "paths/index.html",
        paths=paths,
        totals=services.totals_by(db.session, g.academy, Brick.learning_path_id),
        move_form=MovePathForm(),
    )


@bp.route("/paths/new", methods=["GET", "POST"])
@requires(Permission.PATH_MANAGE)
def create() -> Any:
    form = CreatePathForm(
        is_name_taken=lambda name: services.is_path_name_taken(db.session, g.academy, name)
    )
    if form.validate_on_submit():
        try:
            path = services.create_path(
                db.session,
                g.academy,
                name=form.name.data or "",
                colour=form.colour.data or "",
                description=form.description.data or "",
                target_population=form.target_population.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The learning path %(name)s is created.", name=path.name), "success")
            return see_other("paths.show", path_id=path.id)
    status = 422 if request.method == "POST" else 200
    return render_template("paths/form.html", form=form, path=None), status


@bp.route("/paths/<int:path_id>/")
@requires(Permission.PATH_VIEW)
def show(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    bricks = services.path_bricks(db.session, path)
    return render_template(
        "paths/show.html",
        path=path,
        bricks=bricks,
        totals=services.totals_of(bricks),
        confirm_form=ConfirmForm(),
    )


@bp.route("/paths/<int:path_id>/edit", methods=["GET", "POST"])
@requires(Permission.PATH_MANAGE)
def edit(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    form = EditPathForm(
        obj=path if request.method == "GET" else None,
        is_name_taken=lambda name: services.is_path_name_taken(
            db.session, g.academy, name, except_id=path.id
        ),
    )
    if form.validate_on_submit():
        try:
            services.update_path(
                db.session,
                path,
                name=form.name.data or "",
                colour=form.colour.data or "",
                description=form.description.data or "",
                target_population=form.target_population.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The learning path is saved."), "success")
            return see_other("paths.show", path_id=path.id)
    status = 422 if request.method == "POST" else 200
    return render_template("paths/form.html", form=form, path=path), status


@bp.route("/paths/<int:path_id>/move", methods=["POST"])
@requires(Permission.PATH_MANAGE)
def move(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    form = MovePathForm()
    if not form.validate_on_submit():
        abort(400)
    moved = services.move_path(db.session, path, -1 if form.direction.data == "up" else 1)
    db.session.commit()
    if moved:
        flash(_("%(name)s moved.", name=path.name), "success")
    return see_other("paths.index", _anchor=f"path-{path.id}")


@bp.route("/paths/<int:path_id>/delete", methods=["POST"])
@requires(Permission.PATH_MANAGE)
def delete(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = path.name
    count = services.delete_path(db.session, path, actor=current_user, now=utcnow())
    db.session.commit()
    flash(
        ngettext(
            "The learning path %(name)s is deleted; its %(num)s brick stays in the backlog.",
            "The learning path %(name)s is deleted; its %(num)s bricks stay in the backlog.",
            count,
            name=name,
        ),
        "success",
    )
    return see_other("paths.index")
