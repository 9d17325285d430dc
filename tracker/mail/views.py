"""The outbox: every message the app queued, readable by the site admin."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.auth.permissions import Permission
from tracker.db import db
from tracker.forms import ConfirmForm
from tracker.mail import bp
from tracker.mail.models import MailMessage, MailStatus
from tracker.mail.services import requeue
from tracker.web import requires, see_other

PAGE_SIZE = 50


@bp.route("/")
@requires(Permission.OUTBOX_READ)
def outbox() -> Any:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = (request.args.get("q") or "").strip().lower()
    statement = select(MailMessage)
    if query:
        like = f"%{query}%"
        statement = statement.where(
            func.lower(MailMessage.to_address).like(like)
            | func.lower(MailMessage.subject).like(like)
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    messages = db.session.scalars(
        statement.order_by(MailMessage.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "mail/outbox.html",
        messages=messages,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        q=query,
    )


@bp.route("/<int:message_id>")
@requires(Permission.OUTBOX_READ)
def message(message_id: int) -> Any:
    found = db.session.get(MailMessage, message_id)
    if found is None:
        abort(404)
    return render_template("mail/message.html", message=found, form=ConfirmForm())


@bp.route("/<int:message_id>/requeue", methods=["POST"])
@requires(Permission.OUTBOX_READ)
def requeue_message(message_id: int) -> Any:
    found = db.session.get(MailMessage, message_id)
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if found.status == MailStatus.FAILED:
        requeue(db.session, found)
        db.session.commit()
        flash(_("The message is queued again."), "success")
    return see_other("mail.message", message_id=found.id)
