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
from tracker.backlog.models import Brick, LearningPath
from tracker.backlog.paths_forms import CreatePathForm, EditPathForm
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm, MoveForm, form_values
from tracker.web import name_rule, requires, see_other, submit, submit_once, success


@bp.route("/paths/")
@requires(Permission.PATH_VIEW)
def index() -> Any:
    paths = services.list_paths(db.session, g.academy)
    return render_template(
        "paths/index.html",
        paths=paths,
        totals=services.totals_by(db.session, g.academy, Brick.learning_path_id),
        move_form=MoveForm(),
    )


@bp.route("/paths/new", methods=["GET", "POST"])
@requires(Permission.PATH_MANAGE)
def create() -> Any:
    form = CreatePathForm(is_name_taken=name_rule(services.is_path_name_taken))
    done = submit_once(
        form,
        LearningPath,
        lambda: services.create_path(db.session, g.academy, **_path_fields(form)),
    )
    if done and done.value:
        return success(
            _("The learning path %(name)s is created.", name=done.value.name),
            "paths.show",
            path_id=done.value.id,
        )
    return render_template("paths/form.html", form=form, path=None), done.status


def _path_fields(form: CreatePathForm) -> dict[str, str]:
    return form_values(form, texts=("name", "colour", "description", "target_population"))


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
        is_name_taken=name_rule(services.is_path_name_taken, path.id),
    )
    done = submit(form, lambda: services.update_path(db.session, path, **_path_fields(form)))
    if done:
        return success(_("The learning path is saved."), "paths.show", path_id=path.id)
    return render_template("paths/form.html", form=form, path=path), done.status


@bp.route("/paths/<int:path_id>/move", methods=["POST"])
@requires(Permission.PATH_MANAGE)
def move(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    form = MoveForm()
    done = submit(form, lambda: services.move_path(db.session, path, form.offset))
    if not done:
        abort(400)
    if done.value:
        flash(_("%(name)s moved.", name=path.name), "success")
    return see_other("paths.index", _anchor=f"path-{path.id}")


@bp.route("/paths/<int:path_id>/delete", methods=["POST"])
@requires(Permission.PATH_MANAGE)
def delete(path_id: int) -> Any:
    path = services.get_path(db.session, g.academy, path_id)
    name = path.name
    done = submit(
        ConfirmForm(),
        lambda: services.delete_path(db.session, path, actor=current_user, now=utcnow()),
    )
    if not done:
        abort(400)
    flash(
        ngettext(
            "The learning path %(name)s is deleted; its %(num)s brick stays in the backlog.",
            "The learning path %(name)s is deleted; its %(num)s bricks stay in the backlog.",
            done.value or 0,
            name=name,
        ),
        "success",
    )
    return see_other("paths.index")
