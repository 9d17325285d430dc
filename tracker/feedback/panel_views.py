"""Tester panel pages (PANEL_MANAGE): the list, the import with its dry run, profiles, segments.

Routes attach to the `feedback` blueprint (/a/<slug>/...). The import's flow and pages are the
shared ones of tracker/imports_web.py; its rules are in tracker/feedback/panel_import.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import abort, current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from tracker import imports_web
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.feedback import bp, panel, panel_import
from tracker.feedback.forms import (
    LANGUAGE_CHOICES,
    CreateSegmentForm,
    EditSegmentForm,
    EditTesterForm,
    ImportTestersForm,
)
from tracker.feedback.models import Segment
from tracker.forms import ConfirmForm
from tracker.imports import ImportPlan
from tracker.web import query_page, requires, see_other, submit, submit_once, success


@bp.route("/panel/")
@requires(Permission.PANEL_MANAGE)
def panel_index() -> Any:
    filters = panel.PanelFilters.from_args(request.args)
    page = panel.list_testers(
        db.session,
        g.academy,
        filters,
        page=query_page(),
        now=utcnow(),
    )
    return render_template(
        "feedback/manager/panel.html",
        page=page,
        filters=filters,
        carried=filters.as_args(),
        values=panel.attribute_values(db.session, g.academy),
        languages=dict(LANGUAGE_CHOICES),
        recent_days=panel.RECENT_DAYS,
        pending=panel.pending_panel_invitations(db.session, g.academy, now=utcnow()),
    )


@bp.route("/panel/<int:profile_id>/edit", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def edit_tester(profile_id: int) -> Any:
    profile = panel.get_profile(db.session, g.academy, profile_id)
    form = EditTesterForm(obj=profile if request.method == "GET" else None)
    done = submit(
        form,
        lambda: panel.update_profile(
            db.session,
            profile,
            business_unit=form.business_unit.data or "",
            job_family=form.job_family.data or "",
            site=form.site.data or "",
            language=form.language.data or "",
            active=bool(form.active.data),
        ),
    )
    if done:
        return success(
            _("The profile of %(name)s is saved.", name=profile.user.display_name),
            "feedback.panel_index",
        )
    return render_template("feedback/tester_form.html", form=form, profile=profile), done.status


# -- Import -----------------------------------------------------------------------------------


def _import_with_links(
    session: Session,
    academy: Academy,
    plan: ImportPlan[Any],
    *,
    actor: User | None,
    now: dt.datetime,
) -> panel_import.TesterImportReport:
    """The import, with the public address its invitations' links start with."""
    return panel_import.import_testers(
        session,
        academy,
        plan,
        actor=actor,
        now=now,
        base_url=current_app.config["BASE_URL"],
        valid_days=current_app.config["INVITATION_DAYS"],
    )


class TesterImport(imports_web.Importer[panel_import.TesterImportReport]):
    """People into the panel: members get a profile, anyone else an invitation to join."""

    rules = replace(panel_import.RULES, apply=_import_with_links)
    endpoints = ("feedback.import_testers", "feedback.confirm_import", "feedback.import_template")
    form = ImportTestersForm
    texts = "feedback/manager/_panel_import_texts.html"

    def done(self, plan: ImportPlan[Any], report: panel_import.TesterImportReport) -> Any:
        flash(
            ngettext("%(num)s tester imported.", "%(num)s testers imported.", len(plan.rows))
            + " "
            + _(
                "Invited to join the panel: %(invited)s; profiles added to members: %(added)s;"
                " profiles updated: %(updated)s.",
                invited=report.invited,
                added=report.added,
                updated=report.updated,
            ),
            "success",
        )
        return see_other("feedback.panel_index")


# /panel/import (upload page, dry run), /panel/import/confirm, /panel/import/template.csv
imports_web.add_routes(
    bp, TesterImport(), "/panel/import", Permission.PANEL_MANAGE, "brique-testers-template.csv"
)


# -- Segments ---------------------------------------------------------------------------------


@bp.route("/panel/segments/")
@requires(Permission.PANEL_MANAGE)
def segments() -> Any:
    return render_template(
        "feedback/manager/segments.html",
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
    done = submit_once(
        form,
        Segment,
        lambda: panel.create_segment(
            db.session, g.academy, name=form.name.data or "", filters=_chosen(form)
        ),
    )
    if done:
        return success(_("The segment is saved."), "feedback.segments")
    return render_template(
        "feedback/manager/segment_form.html", form=form, segment=None
    ), done.status


@bp.route("/panel/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@requires(Permission.PANEL_MANAGE)
def edit_segment(segment_id: int) -> Any:
    segment = panel.get_segment(db.session, g.academy, segment_id)
    values = panel.attribute_values(db.session, g.academy)
    data = {"name": segment.name, **segment.filters} if request.method == "GET" else None
    form = EditSegmentForm(values=values, chosen=dict(segment.filters), data=data)
    done = submit(
        form,
        lambda: panel.update_segment(
            db.session, segment, name=form.name.data or "", filters=_chosen(form)
        ),
    )
    if done:
        return success(_("The segment is saved."), "feedback.segments")
    return render_template(
        "feedback/manager/segment_form.html",
        form=form,
        segment=segment,
        count=panel.count_matching(db.session, g.academy, segment.filters),
    ), done.status


@bp.route("/panel/segments/<int:segment_id>/delete", methods=["POST"])
@requires(Permission.PANEL_MANAGE)
def delete_segment(segment_id: int) -> Any:
    segment = panel.get_segment(db.session, g.academy, segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = segment.name
    panel.delete_segment(db.session, segment)
    db.session.commit()
    return success(_("The segment %(name)s is deleted.", name=name), "feedback.segments")
