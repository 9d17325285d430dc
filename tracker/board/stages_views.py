"""Stage pages (managers): the ordered list with an add form, edit, move, remove."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.academies.models import Stage
from tracker.academies.services import list_stages
from tracker.auth.permissions import Permission
from tracker.board import stages as services
from tracker.board import stages_bp as bp
from tracker.board.stages_forms import (
    AddStageForm,
    EditStageForm,
    RemoveStageForm,
)
from tracker.db import db, utcnow
from tracker.forms import MoveForm
from tracker.web import name_rule, requires, see_other, submit, submit_once, success


def _taken(except_id: int | None = None) -> Any:
    return name_rule(services.is_stage_name_taken, except_id)


def _settings(form: EditStageForm) -> dict[str, Any]:
    """The stage's settings as the services take them."""
    return {
        "name": form.name.data or "",
        "category": form.category.data or "",
        "wip_limit": form.wip_limit.data,
        "wip_policy": form.wip_policy.data or "",
    }


def _index(form: AddStageForm, status: int = 200) -> Any:
    return (
        render_template(
            "board/stages.html",
            stages=list_stages(db.session, g.academy),
            counts=services.card_counts(db.session, g.academy),
            form=form,
        ),
        status,
    )


@bp.route("/stages")
@requires(Permission.STAGE_MANAGE)
def index() -> Any:
    return _index(AddStageForm(is_name_taken=_taken()))


@bp.route("/stages/new", methods=["POST"])
@requires(Permission.STAGE_MANAGE)
def create() -> Any:
    form = AddStageForm(is_name_taken=_taken())
    done = submit_once(
        form, Stage, lambda: services.add_stage(db.session, g.academy, **_settings(form))
    )
    if not done or done.value is None:
        return _index(form, done.status)
    stage = done.value
    return success(
        _("The stage %(name)s is added at the end of the board.", name=stage.name),
        "stages.index",
        _anchor=f"stage-{stage.id}",
    )


@bp.route("/stages/<int:stage_id>/edit", methods=["GET", "POST"])
@requires(Permission.STAGE_MANAGE)
def edit(stage_id: int) -> Any:
    stage = services.get_stage(db.session, g.academy, stage_id)
    form = EditStageForm(
        obj=stage if request.method == "GET" else None, is_name_taken=_taken(stage.id)
    )
    if request.method == "GET":
        form.category.data = stage.category.value
        form.wip_policy.data = stage.wip_policy.value
    done = submit(form, lambda: services.update_stage(db.session, stage, **_settings(form)))
    if done:
        return success(
            _("The stage %(name)s is saved.", name=stage.name),
            "stages.index",
            _anchor=f"stage-{stage.id}",
        )
    return render_template("board/stages_edit.html", form=form, stage=stage), done.status


@bp.route("/stages/<int:stage_id>/move", methods=["POST"])
@requires(Permission.STAGE_MANAGE)
def move(stage_id: int) -> Any:
    stage = services.get_stage(db.session, g.academy, stage_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    moved = services.move_stage(db.session, stage, form.offset)
    db.session.commit()
    if moved:
        flash(_("%(name)s moved.", name=stage.name), "success")
    return see_other("stages.index", _anchor=f"stage-{stage.id}")


@bp.route("/stages/<int:stage_id>/remove", methods=["GET", "POST"])
@requires(Permission.STAGE_MANAGE)
def remove(stage_id: int) -> Any:
    stage = services.get_stage(db.session, g.academy, stage_id)
    all_stages = list_stages(db.session, g.academy)
    others = [s for s in all_stages if s.id != stage.id]
    form = RemoveStageForm(others=others)
    count = services.card_counts(db.session, g.academy).get(stage.id, 0)
    name = stage.name
    destination = next((s for s in others if str(s.id) == form.destination.data), None)
    done = submit(
        form,
        lambda: services.remove_stage(
            db.session, stage, destination=destination, actor=current_user, now=utcnow()
        ),
    )
    if done:
        return success(_removed(name, done.value or 0, destination), "stages.index")
    return render_template(
        "board/stages_remove.html", form=form, stage=stage, count=count, last=len(all_stages) <= 1
    ), done.status


def _removed(name: str, moved: int, destination: Stage | None) -> str:
    if moved and destination is not None:
        return ngettext(
            "The stage %(name)s is removed; its card went to %(other)s.",
            "The stage %(name)s is removed; its %(num)s cards went to %(other)s.",
            moved,
            name=name,
            other=destination.name,
        )
    return _("The stage %(name)s is removed.", name=name)
