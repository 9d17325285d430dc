"""Specification pages: the managers' (generate, edit, send, versions, DOCX, print, settings)
and the vendor's member's (read, acknowledge, answer, DOCX)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.auth.permissions import Permission, vendor_of
from tracker.backlog.models import Brick, LearningPath
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm, choices
from tracker.releases.models import Release
from tracker.vendors import bp, services, specs
from tracker.vendors.docx_export import specification_docx
from tracker.vendors.forms import (
    AnswerForm,
    EditSpecificationForm,
    NewSpecificationForm,
    SettingsForm,
)
from tracker.vendors.labels import LMS_LABELS
from tracker.vendors.models import LmsStandard, SourceKind, Specification
from tracker.web import requires, see_other, submit, submit_once, success

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _flash_errors(form: Any) -> None:
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")
    for message in form.form_errors:
        flash(str(message), "error")


def _sources(vendor_id: int) -> list[tuple[str, object]]:
    """What a specification can be generated from: the vendor's bricks, and the paths and
    releases holding some of them."""
    academy = g.academy
    bricks = list(
        db.session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.vendor_id == vendor_id)
            .order_by(Brick.rank, Brick.id)
        )
    )
    path_ids = {b.learning_path_id for b in bricks if b.learning_path_id}
    release_ids = {b.release_id for b in bricks if b.release_id}
    options: list[tuple[str, object]] = []
    for path in db.session.scalars(select(LearningPath).where(LearningPath.id.in_(path_ids))):
        options.append((f"path:{path.id}", _("Learning path: %(name)s", name=path.name)))
    for release in db.session.scalars(select(Release).where(Release.id.in_(release_ids))):
        options.append((f"release:{release.id}", _("Release: %(name)s", name=release.name)))
    for brick in bricks:
        key = f"{academy.key_prefix}-{brick.number}"
        options.append(
            (f"brick:{brick.id}", _("Brick: %(key)s %(title)s", key=key, title=brick.title))
        )
    return options


@bp.route("/specifications/")
@requires(Permission.VENDOR_VIEW)
def specifications() -> Any:
    return render_template(
        "vendors/specifications.html",
        specs=specs.list_specifications(db.session, g.academy),
    )


@bp.route("/vendors/<int:vendor_id>/specifications/new", methods=["GET", "POST"])
@requires(Permission.VENDOR_MANAGE)
def new_specification(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    form = NewSpecificationForm(sources=choices(_sources(vendor.id)))

    def create() -> Specification:
        kind, _sep, source_id = (form.source.data or "").partition(":")
        return specs.create_specification(
            db.session,
            g.academy,
            vendor,
            kind=SourceKind(kind),
            source_id=int(source_id),
            now=utcnow(),
        )

    done = submit_once(form, Specification, create)
    if done and done.value:
        return success(
            _("The specification is generated: edit it, then send it."),
            "vendors.edit_specification",
            spec_id=done.value.id,
        )
    return render_template("vendors/new_specification.html", form=form, vendor=vendor), done.status


@bp.route("/specifications/<int:spec_id>/")
@requires(Permission.VENDOR_VIEW)
def specification(spec_id: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    return render_template(
        "vendors/specification.html",
        spec=spec,
        bricks=specs.spec_bricks(db.session, spec),
        confirm_form=ConfirmForm(),
    )


@bp.route("/specifications/<int:spec_id>/edit", methods=["GET", "POST"])
@requires(Permission.VENDOR_MANAGE)
def edit_specification(spec_id: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    form = EditSpecificationForm(obj=spec if request.method == "GET" else None)
    done = submit(
        form,
        lambda: specs.edit_specification(
            db.session, spec, title=form.title.data or "", body=form.body.data or "", now=utcnow()
        ),
    )
    if done:
        return success(_("The draft is saved."), "vendors.specification", spec_id=spec.id)
    return render_template("vendors/edit_specification.html", form=form, spec=spec), done.status


@bp.route("/specifications/<int:spec_id>/send", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def send_specification(spec_id: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    form = ConfirmForm()
    done = submit(
        form,
        lambda: specs.send_specification(
            db.session,
            g.academy,
            spec,
            actor=current_user,
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        ),
    )
    if not done:
        _flash_errors(form)
        return see_other("vendors.specification", spec_id=spec.id)
    return success(
        _(
            "Version %(num)s is sent to the vendor's contacts.",
            num=done.value.number if done.value else 0,
        ),
        "vendors.specification",
        spec_id=spec.id,
    )


@bp.route("/specifications/<int:spec_id>/versions/<int:version>")
@requires(Permission.VENDOR_VIEW)
def specification_version(spec_id: int, version: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    sent, lines = specs.version_diff(spec, version)
    return render_template("vendors/version.html", spec=spec, version=sent, lines=lines)


def _docx(spec: Specification, body: str) -> Response:
    return Response(
        specification_docx(spec.title, body),
        mimetype=DOCX_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="specification-{spec.id}.docx"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/specifications/<int:spec_id>.docx")
@requires(Permission.VENDOR_VIEW)
def specification_docx_file(spec_id: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    return _docx(spec, spec.body)


@bp.route("/specifications/<int:spec_id>/print")
@requires(Permission.VENDOR_VIEW)
def specification_print(spec_id: int) -> Any:
    spec = specs.get_specification(db.session, g.academy, spec_id)
    return render_template("vendors/print.html", spec=spec, body=spec.body)


@bp.route("/vendors/settings", methods=["GET", "POST"])
@requires(Permission.VENDOR_MANAGE)
def settings() -> Any:
    current = services.settings_of(db.session, g.academy)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.lms_standard.data = current.lms_standard.value
    done = submit(
        form,
        lambda: services.update_settings(
            db.session,
            g.academy,
            lms_standard=LmsStandard(form.lms_standard.data),
            accessibility_target=form.accessibility_target.data or "",
            devices=form.devices.data or "",
            template=form.template.data or "",
        ),
    )
    if done:
        return success(_("The settings are saved."), "vendors.settings")
    return (
        render_template(
            "vendors/settings.html",
            form=form,
            placeholders=specs.PLACEHOLDERS,
            default_template=specs.default_template(),
            lms_labels=LMS_LABELS,
        ),
        done.status,
    )


# -- The vendor's member's side ---------------------------------------------------------------


def _mine(spec_id: int) -> Specification:
    return specs.get_vendor_specification(
        db.session, g.academy, spec_id, vendor_of(current_user, g.academy)
    )


@bp.route("/vendor/specifications/<int:spec_id>")
@requires(Permission.VENDOR_PORTAL)
def portal_specification(spec_id: int) -> Any:
    spec = _mine(spec_id)
    return render_template(
        "vendors/portal_specification.html",
        spec=spec,
        sent=spec.versions[-1],
        confirm_form=ConfirmForm(),
        answer_form=AnswerForm(obj=spec),
    )


@bp.route("/vendor/specifications/<int:spec_id>.docx")
@requires(Permission.VENDOR_PORTAL)
def portal_docx(spec_id: int) -> Any:
    spec = _mine(spec_id)
    return _docx(spec, spec.versions[-1].body)


@bp.route("/vendor/specifications/<int:spec_id>/acknowledge", methods=["POST"])
@requires(Permission.VENDOR_PORTAL)
def acknowledge(spec_id: int) -> Any:
    spec = _mine(spec_id)
    done = submit(
        ConfirmForm(), lambda: specs.acknowledge(db.session, spec, current_user, now=utcnow())
    )
    if not done:
        abort(400)
    return success(
        _("Thank you: the manager sees that you received it."),
        "vendors.portal_specification",
        spec_id=spec.id,
    )


@bp.route("/vendor/specifications/<int:spec_id>/answer", methods=["POST"])
@requires(Permission.VENDOR_PORTAL)
def answer(spec_id: int) -> Any:
    spec = _mine(spec_id)
    form = AnswerForm()
    done = submit(
        form, lambda: specs.answer(db.session, spec, form.answer.data or "", now=utcnow())
    )
    if done:
        return success(_("Your answer is saved."), "vendors.portal_specification", spec_id=spec.id)
    return (
        render_template(
            "vendors/portal_specification.html",
            spec=spec,
            sent=spec.versions[-1],
            confirm_form=ConfirmForm(),
            answer_form=form,
        ),
        done.status,
    )
