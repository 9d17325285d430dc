"""Tester panel pages (PANEL_MANAGE): the list, CSV import with its dry run, profiles, segments.

They attach to the `feedback` blueprint (tracker/feedback/views.py), which imports this module.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from tracker.auth.permissions import Permission
from tracker.backlog import io as uploads
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.feedback import bp, panel
from tracker.feedback.forms import (
    LANGUAGE_CHOICES,
    ConfirmImportForm,
    CreateSegmentForm,
    EditSegmentForm,
    EditTesterForm,
    ImportTestersForm,
)
from tracker.forms import ConfirmForm
from tracker.web import attach_error, requires, see_other

MAX_IMPORT_BYTES = 2 * 1024 * 1024


@bp.route("/panel/")
@requires(Permission.PANEL_MANAGE)
def panel_index() -> Any:
    filters = panel.PanelFilters.from_args(request.args)
    page = panel.list_testers(
        db.session,
        g.academy,
        filters,
        page=request.args.get("page", 1, type=int) or 1,
        now=utcnow(),
    )
    return render_template(
        "feedback/panel.html",
        page=page,
        filters=filters,
        carried=filters.as_args(),
        values=panel.attribute_values(db.session, g.academy),
        languages=dict(LANGUAGE_CHOICES),
        recent_days=panel.RECENT_DAYS,
    )


@bp.route("/panel/<int:profile_id>/edit", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def edit_tester(profile_id: int) -> Any:
    profile = panel.get_profile(db.session, g.academy, profile_id)
    form = EditTesterForm(obj=profile if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            panel.update_profile(
                db.session,
                profile,
                business_unit=form.business_unit.data or "",
                job_family=form.job_family.data or "",
                site=form.site.data or "",
                language=form.language.data or "",
                active=bool(form.active.data),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The profile of %(name)s is saved.", name=profile.user.display_name), "success")
            return see_other("feedback.panel_index")
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/tester_form.html", form=form, profile=profile), status


# -- Import -----------------------------------------------------------------------------------


def _import_page(form: ImportTestersForm, status: int = 200) -> Any:
    return render_template(
        "feedback/panel_import.html",
        form=form,
        columns=panel.IMPORT_COLUMNS,
        max_rows=panel.MAX_TESTER_ROWS,
        max_kb=MAX_IMPORT_BYTES // 1024,
    ), status


def _preview(plan: panel.TesterImportPlan, filename: str, token: str, status: int = 200) -> Any:
    return render_template(
        "feedback/panel_import_preview.html",
        plan=plan,
        filename=filename,
        confirm_form=ConfirmImportForm(token=token),
    ), (200 if plan.ok else 422) if status == 200 else status


@bp.route("/panel/import", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def import_testers() -> Any:
    """Upload a file: the answer is the dry run, row by row; nothing is written yet."""
    form = ImportTestersForm()
    if not form.validate_on_submit():
        return _import_page(form, 422 if request.method == "POST" else 200)
    upload = form.file.data
    filename = upload.filename or ""
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        attach_error(
            form,
            DomainError(
                _("The file is too large: at most %(kb)s kB.", kb=MAX_IMPORT_BYTES // 1024),
                field="file",
            ),
        )
        return _import_page(form, 422)
    try:
        plan = panel.plan_tester_import(db.session, g.academy, filename, data)
    except DomainError as error:
        attach_error(form, error)
        return _import_page(form, 422)
    token = uploads.store_upload(
        current_app.instance_path,
        academy_id=g.academy.id,
        user_id=current_user.id,
        filename=filename,
        data=data,
    )
    return _preview(plan, filename, token)


@bp.route("/panel/import/confirm", methods=["POST"])
@requires(Permission.PANEL_MANAGE)
def confirm_import() -> Any:
    """Import every row of the checked file in one transaction, or nothing."""
    form = ConfirmImportForm()
    token = form.token.data or ""
    try:
        if not form.validate():
            raise DomainError(_("This import has expired: upload the file again."), field="file")
        filename, data = uploads.load_upload(
            current_app.instance_path, token, academy_id=g.academy.id, user_id=current_user.id
        )
        # Checked again: someone may have joined or left since the dry run.
        plan = panel.plan_tester_import(db.session, g.academy, filename, data)
    except DomainError as error:
        upload_form = ImportTestersForm(formdata=None)
        attach_error(upload_form, error)
        return _import_page(upload_form, 422)
    if not plan.ok:
        return _preview(plan, filename, token)
    try:
        report = panel.import_testers(db.session, g.academy, plan)
        db.session.commit()
    except IntegrityError:
        # Another import created one of these people at the same moment: check again.
        db.session.rollback()
        flash(_("The panel changed while importing: nothing was imported. Try again."), "error")
        return _preview(
            panel.plan_tester_import(db.session, g.academy, filename, data), filename, token, 409
        )
    uploads.discard_upload(current_app.instance_path, token)
    flash(
        ngettext("%(num)s tester imported.", "%(num)s testers imported.", len(plan.rows))
        + " "
        + _(
            "New accounts: %(created)s; profiles added to existing accounts: %(added)s;"
            " profiles updated: %(updated)s.",
            created=report.created,
            added=report.added,
            updated=report.updated,
        ),
        "success",
    )
    return see_other("feedback.panel_index")


@bp.route("/panel/import/template.csv")
@requires(Permission.PANEL_MANAGE)
def import_template() -> Any:
    return Response(
        panel.template_csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="brique-testers-template.csv"'},
    )


# -- Segments ---------------------------------------------------------------------------------


@bp.route("/panel/segments/")
@requires(Permission.PANEL_MANAGE)
def segments() -> Any:
    return render_template(
        "feedback/segments.html",
        segments=panel.list_segments(db.session, g.academy),
        languages=dict(LANGUAGE_CHOICES),
        confirm_form=ConfirmForm(),
    )


def _chosen(form: EditSegmentForm) -> dict[str, list[str]]:
    return {name: list(getattr(form, name).data or []) for name in panel.ATTRIBUTES}


@bp.route("/panel/segments/new", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def create_segment() -> Any:
    values = panel.attribute_values(db.session, g.academy)
    form = CreateSegmentForm(values=values, chosen={})
    if form.validate_on_submit():
        try:
            panel.create_segment(
                db.session, g.academy, name=form.name.data or "", filters=_chosen(form)
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The segment is saved."), "success")
            return see_other("feedback.segments")
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/segment_form.html", form=form, segment=None), status


@bp.route("/panel/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def edit_segment(segment_id: int) -> Any:
    segment = panel.get_segment(db.session, g.academy, segment_id)
    values = panel.attribute_values(db.session, g.academy)
    data = None
    if request.method == "GET":
        data = {"name": segment.name, **segment.filters}
    form = EditSegmentForm(values=values, chosen=dict(segment.filters), data=data)
    if form.validate_on_submit():
        try:
            panel.update_segment(
                db.session, segment, name=form.name.data or "", filters=_chosen(form)
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The segment is saved."), "success")
            return see_other("feedback.segments")
    status = 422 if request.method == "POST" else 200
    return render_template(
        "feedback/segment_form.html",
        form=form,
        segment=segment,
        count=panel.count_matching(db.session, g.academy, segment.filters),
    ), status


@bp.route("/panel/segments/<int:segment_id>/delete", methods=["POST"])
@requires(Permission.PANEL_MANAGE)
def delete_segment(segment_id: int) -> Any:
    segment = panel.get_segment(db.session, g.academy, segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = segment.name
    panel.delete_segment(db.session, segment)
    db.session.commit()
    flash(_("The segment %(name)s is deleted.", name=name), "success")
    return see_other("feedback.segments")
