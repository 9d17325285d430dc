"""Quotes and the budget: the vendor's member posts a quote; managers decide, plan costs, read
the budget and export it for finance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Response, flash, g, render_template
from flask_babel import gettext as _
from flask_login import current_user

from tracker import spreadsheets
from tracker.auth.permissions import Permission, vendor_of
from tracker.backlog import services as brick_services
from tracker.db import db, utcnow
from tracker.errors import NotFound
from tracker.vendors import bp, quotes, specs
from tracker.vendors.forms import DecideQuoteForm, PlannedCostForm, QuoteForm
from tracker.vendors.models import Quote
from tracker.web import requires, see_other, submit, submit_once, success


@bp.route("/vendor/specifications/<int:spec_id>/quote", methods=["GET", "POST"])
@requires(Permission.VENDOR_PORTAL)
def new_quote(spec_id: int) -> Any:
    spec = specs.get_vendor_specification(
        db.session, g.academy, spec_id, vendor_of(current_user, g.academy)
    )
    form = QuoteForm()
    return _quote_page(form, lambda: quotes.submit_quote(db.session, spec, **_quote_values(form)),
                       spec=spec)  # fmt: skip


@bp.route("/vendor/bricks/<int:number>/quote", methods=["GET", "POST"])
@requires(Permission.VENDOR_PORTAL)
def portal_brick_quote(number: int) -> Any:
    """A quote for one brick of the vendor's (another brick: 404, as if it did not exist)."""
    brick = brick_services.get_brick(db.session, g.academy, number)
    vendor_id = vendor_of(current_user, g.academy)
    if vendor_id is None or brick.vendor_id != vendor_id:
        raise NotFound(_("No such brick."))
    form = QuoteForm()
    return _quote_page(
        form, lambda: quotes.submit_brick_quote(db.session, brick, **_quote_values(form)),
        brick=brick,
    )  # fmt: skip


def _quote_values(form: QuoteForm) -> dict[str, Any]:
    return {
        "amount": form.amount.data,
        "currency": form.currency.data or "",
        "days": form.days.data,
        "valid_until": form.valid_until.data,
        "note": form.note.data or "",
        "actor": current_user,
        "now": utcnow(),
    }


def _quote_page(form: QuoteForm, send: Callable[[], Quote], **about: Any) -> Any:
    done = submit_once(form, Quote, send)
    if done:
        return success(_("Your quote is sent to the academy's managers."), "vendors.portal")
    return render_template("vendors/quote_form.html", form=form, **about), done.status


@bp.route("/quotes/")
@requires(Permission.BUDGET_MANAGE)
def quote_list() -> Any:
    return render_template(
        "vendors/quotes.html",
        quotes=quotes.list_quotes(db.session, g.academy),
        decide_form=DecideQuoteForm(formdata=None),
    )


@bp.route("/quotes/<int:quote_id>/")
@requires(Permission.BUDGET_MANAGE)
def quote(quote_id: int) -> Any:
    found = quotes.get_quote(db.session, g.academy, quote_id)
    return render_template(
        "vendors/quote.html",
        quote=found,
        history=quotes.quote_history(db.session, found),
        decide_form=DecideQuoteForm(formdata=None),
    )


@bp.route("/quotes/<int:quote_id>/decide", methods=["POST"])
@requires(Permission.BUDGET_MANAGE)
def decide_quote(quote_id: int) -> Any:
    found = quotes.get_quote(db.session, g.academy, quote_id)
    form = DecideQuoteForm()
    done = submit(
        form,
        lambda: quotes.decide(
            db.session,
            found,
            accept=form.decision.data == "accept",
            note=form.note.data or "",
            actor=current_user,
            now=utcnow(),
        ),
    )
    if done:
        return success(_("The decision is recorded."), "vendors.quote", quote_id=found.id)
    return (
        render_template(
            "vendors/quote.html",
            quote=found,
            history=quotes.quote_history(db.session, found),
            decide_form=form,
        ),
        done.status,
    )


@bp.route("/budget")
@requires(Permission.BUDGET_MANAGE)
def budget() -> Any:
    return render_template(
        "vendors/budget.html",
        budget=quotes.budget(db.session, g.academy),
        plannable=quotes.plannable_bricks(db.session, g.academy),
        planned=quotes.planned_amounts(db.session, g.academy),
        currencies=quotes.CURRENCIES,
    )


@bp.route("/budget/bricks/<int:brick_id>/planned", methods=["POST"])
@requires(Permission.BUDGET_MANAGE)
def set_planned(brick_id: int) -> Any:
    brick = quotes.bricks_of(db.session, g.academy, brick_id)
    form = PlannedCostForm()
    done = submit(
        form,
        lambda: quotes.set_planned(
            db.session, brick, amount=form.planned.data, currency=form.currency.data or ""
        ),
    )
    if not done:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        for message in form.form_errors:
            flash(str(message), "error")
        return see_other("vendors.budget")
    return success(_("The planned cost is saved."), "vendors.budget")


@bp.route("/budget/export.<any(csv, xlsx):fmt>")
@requires(Permission.BUDGET_MANAGE)
def budget_export(fmt: str) -> Any:
    academy = g.academy
    table = quotes.export_rows(academy, quotes.budget(db.session, academy))
    filename = f"{academy.slug}-budget-{dt.date.today().isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = spreadsheets.write_csv(table), spreadsheets.CSV_MIMETYPE
    else:
        body = spreadsheets.write_xlsx(
            _("Budget"), table, widths=(12, 40, 20, 20, 8, 12, 12, 10, 14)
        )
        mimetype = spreadsheets.XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
