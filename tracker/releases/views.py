"""Release pages: the list with totals, create, edit, a release with its bricks and history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.academies.views import add_slug, load_academy
from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import totals_by, totals_of
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.releases import services
from tracker.releases.forms import CreateReleaseForm, EditReleaseForm
from tracker.releases.models import Release
from tracker.web import attach_error, requires, see_other

bp = Blueprint("releases", __name__, url_prefix="/a/<slug>")
bp.url_value_preprocessor(load_academy)
bp.url_defaults(add_slug)


def _release_or_404(release_id: int) -> Release:
    try:
        return services.get_release(db.session, g.academy, release_id)
    except NotFound:
        abort(404)


@bp.route("/releases/")
@requires(Permission.RELEASE_VIEW)
def index() -> Any:
    return render_template(
        "releases/index.html",
        releases=services.list_releases(db.session, g.academy),
        totals=totals_by(db.session, g.academy, Brick.release_id),
    )


@bp.route("/releases/new", methods=["GET", "POST"])
@requires(Permission.RELEASE_MANAGE)
def create() -> Any:
    form = CreateReleaseForm(
        is_name_taken=lambda name: services.is_release_name_taken(db.session, g.academy, name)
    )
    if form.validate_on_submit():
        try:
            release = services.create_release(
                db.session,
                g.academy,
                name=form.name.data or "",
                goal=form.goal.data or "",
                target_date=form.target_date.data,
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The release %(name)s is created.", name=release.name), "success")
            return see_other("releases.show", release_id=release.id)
    status = 422 if request.method == "POST" else 200
    return render_template("releases/form.html", form=form, release=None), status


@bp.route("/releases/<int:release_id>/")
@requires(Permission.RELEASE_VIEW)
def show(release_id: int) -> Any:
    release = _release_or_404(release_id)
    bricks = services.release_bricks(db.session, release)
    return render_template(
        "releases/show.html",
        release=release,
        bricks=bricks,
        totals=totals_of(bricks),
        history=services.release_history(db.session, release),
    )


@bp.route("/releases/<int:release_id>/edit", methods=["GET", "POST"])
@requires(Permission.RELEASE_MANAGE)
def edit(release_id: int) -> Any:
    release = _release_or_404(release_id)
    form = EditReleaseForm(
        obj=release if request.method == "GET" else None,
        is_name_taken=lambda name: services.is_release_name_taken(
            db.session, g.academy, name, except_id=release.id
        ),
    )
    if form.validate_on_submit():
        try:
            services.update_release(
                db.session,
                release,
                name=form.name.data or "",
                goal=form.goal.data or "",
                target_date=form.target_date.data,
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The release is saved."), "success")
            return see_other("releases.show", release_id=release.id)
    status = 422 if request.method == "POST" else 200
    return render_template("releases/form.html", form=form, release=release), status
