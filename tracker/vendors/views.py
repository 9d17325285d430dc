"""Vendor pages: the directory, a vendor (contacts, invitations, its bricks), the portal of a
vendor's member. Thin: parse, call a service, submit()/success()."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.auth.permissions import Permission, vendor_of
from tracker.db import db, utcnow
from tracker.errors import NotFound
from tracker.forms import ConfirmForm
from tracker.vendors import bp, quotes, services, specs
from tracker.vendors import scorecard as scorecards
from tracker.vendors.forms import AssignForm, ContactForm, CreateVendorForm, VendorForm
from tracker.vendors.labels import QUOTE_STATUS_LABELS
from tracker.vendors.models import Vendor
from tracker.web import name_rule, requires, see_other, submit, submit_once, success

bp.record_once(
    lambda state: state.app.jinja_env.globals.update(QUOTE_STATUS_LABELS=QUOTE_STATUS_LABELS)
)


@bp.route("/vendors/")
@requires(Permission.VENDOR_VIEW)
def index() -> Any:
    archived = request.args.get("archived") == "1"
    return render_template(
        "vendors/index.html",
        vendors=services.list_vendors(db.session, g.academy, archived=archived),
        counts=services.brick_counts(db.session, g.academy),
        archived=archived,
    )


def _vendor_fields(form: VendorForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "company": form.company.data or "",
        "specialties": form.specialties.data or [],
        "languages": form.languages.data or [],
        "tags": services.split_tags(form.tags.data),
        "contract_reference": form.contract_reference.data or "",
        "contract_start": form.contract_start.data,
        "contract_end": form.contract_end.data,
        "notes": form.notes.data or "",
    }


@bp.route("/vendors/new", methods=["GET", "POST"])
@requires(Permission.VENDOR_MANAGE)
def create() -> Any:
    form = CreateVendorForm(is_name_taken=name_rule(services.is_vendor_name_taken))
    done = submit_once(
        form,
        Vendor,
        lambda: services.create_vendor(db.session, g.academy, now=utcnow(), **_vendor_fields(form)),
    )
    if done and done.value:
        return success(
            _("The vendor %(name)s is created.", name=done.value.name),
            "vendors.show",
            vendor_id=done.value.id,
        )
    return render_template("vendors/form.html", form=form, vendor=None), done.status


@bp.route("/vendors/<int:vendor_id>/")
@requires(Permission.VENDOR_VIEW)
def show(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    return render_template(
        "vendors/show.html",
        vendor=vendor,
        bricks=services.vendor_bricks(db.session, vendor),
        assignable=services.assignable_bricks(db.session, g.academy),
        members=services.member_emails(db.session, vendor),
        pending=services.pending_emails(db.session, vendor, now=utcnow()),
        contact_form=ContactForm(formdata=None),
        confirm_form=ConfirmForm(),
    )


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
@requires(Permission.VENDOR_MANAGE)
def edit(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    form = VendorForm(
        obj=vendor if request.method == "GET" else None,
        is_name_taken=name_rule(services.is_vendor_name_taken, vendor.id),
    )
    if request.method == "GET":
        form.tags.data = ", ".join(vendor.tags)
    done = submit(form, lambda: services.update_vendor(db.session, vendor, **_vendor_fields(form)))
    if done:
        return success(_("The vendor is saved."), "vendors.show", vendor_id=vendor.id)
    return render_template("vendors/form.html", form=form, vendor=vendor), done.status


@bp.route("/vendors/<int:vendor_id>/archive", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def archive(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    archived = vendor.archived_at is None
    done = submit(
        ConfirmForm(), lambda: services.set_archived(db.session, vendor, archived, now=utcnow())
    )
    if not done:
        abort(400)
    message = (
        _("%(name)s is archived.", name=vendor.name)
        if archived
        else _("%(name)s is back in the directory.", name=vendor.name)
    )
    return success(message, "vendors.show", vendor_id=vendor.id)


@bp.route("/vendors/<int:vendor_id>/delete", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def delete(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    name = vendor.name
    form = ConfirmForm()
    done = submit(form, lambda: services.delete_vendor(db.session, vendor))
    if not done:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        for message in form.form_errors:
            flash(str(message), "error")
        return see_other("vendors.show", vendor_id=vendor.id)
    return success(_("The vendor %(name)s is deleted.", name=name), "vendors.index")


@bp.route("/vendors/<int:vendor_id>/contacts", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def add_contact(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    form = ContactForm()
    done = submit(
        form,
        lambda: services.add_contact(
            db.session,
            vendor,
            name=form.name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            job_title=form.job_title.data or "",
        ),
    )
    if done:
        return success(_("The contact is added."), "vendors.show", vendor_id=vendor.id)
    return (
        render_template(
            "vendors/show.html",
            vendor=vendor,
            bricks=services.vendor_bricks(db.session, vendor),
            assignable=services.assignable_bricks(db.session, g.academy),
            members=services.member_emails(db.session, vendor),
            pending=services.pending_emails(db.session, vendor, now=utcnow()),
            contact_form=form,
            confirm_form=ConfirmForm(),
        ),
        done.status,
    )


@bp.route("/vendors/<int:vendor_id>/contacts/<int:contact_id>/remove", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def remove_contact(vendor_id: int, contact_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    contact = services.get_contact(db.session, vendor, contact_id)
    if not submit(ConfirmForm(), lambda: services.remove_contact(db.session, contact)):
        abort(400)
    return success(_("The contact is removed."), "vendors.show", vendor_id=vendor.id)


@bp.route("/vendors/<int:vendor_id>/contacts/<int:contact_id>/invite", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def invite_contact(vendor_id: int, contact_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    contact = services.get_contact(db.session, vendor, contact_id)
    form = ConfirmForm()
    done = submit(
        form,
        lambda: services.invite_contact(
            db.session,
            g.academy,
            contact,
            actor=current_user,
            base_url=current_app.config["BASE_URL"],
            valid_days=current_app.config["INVITATION_DAYS"],
            now=utcnow(),
        ),
    )
    if not done:
        for message in form.form_errors:
            flash(str(message), "error")
        return see_other("vendors.show", vendor_id=vendor.id)
    return success(
        _("An invitation is on its way to %(email)s.", email=contact.email),
        "vendors.show",
        vendor_id=vendor.id,
    )


@bp.route("/vendors/<int:vendor_id>/bricks", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def assign(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    form = AssignForm()
    done = submit(
        form,
        lambda: services.assign_bricks(db.session, vendor, g.academy, form.bricks.data or []),
    )
    if not done:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        for message in form.form_errors:
            flash(str(message), "error")
        return see_other("vendors.show", vendor_id=vendor.id)
    count = done.value or 0
    flash(
        ngettext("%(num)s brick assigned.", "%(num)s bricks assigned.", count),
        "success",
    )
    return see_other("vendors.show", vendor_id=vendor.id)


@bp.route("/vendors/<int:vendor_id>/bricks/remove", methods=["POST"])
@requires(Permission.VENDOR_MANAGE)
def unassign(vendor_id: int) -> Any:
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    form = AssignForm()
    done = submit(
        form, lambda: services.assign_bricks(db.session, None, g.academy, form.bricks.data or [])
    )
    if not done:
        abort(400)
    return success(_("The brick is no longer the vendor's."), "vendors.show", vendor_id=vendor.id)


@bp.route("/vendor")
@requires(Permission.VENDOR_PORTAL)
def portal() -> Any:
    """A vendor's member's home: their vendor and its bricks."""
    vendor_id = vendor_of(current_user, g.academy)
    if vendor_id is None:
        raise NotFound(_("No such vendor."))
    vendor = services.get_vendor(db.session, g.academy, vendor_id)
    return render_template(
        "vendors/portal.html",
        vendor=vendor,
        bricks=services.vendor_bricks(db.session, vendor),
        specs=specs.list_specifications(db.session, g.academy, vendor_id=vendor.id, sent_only=True),
        quotes=quotes.list_quotes(db.session, g.academy, vendor_id=vendor.id),
    )


@bp.route("/vendors/scorecard")
@requires(Permission.VENDOR_VIEW)
def scorecard() -> Any:
    today = utcnow().date()
    return render_template(
        "vendors/scorecard.html",
        scores=scorecards.scorecard(db.session, g.academy, today),
        quarters=scorecards.last_quarters(today),
    )
