"""The outbox: every message the app queued, readable by the site admin."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template
from flask_babel import gettext as _

from tracker.auth.permissions import Permission
from tracker.db import db
from tracker.forms import ConfirmForm
from tracker.mail import bp, services
from tracker.web import query_page, query_text, requires, see_other, submit

PAGE_SIZE = 50


@bp.route("/")
@requires(Permission.OUTBOX_READ)
def outbox() -> Any:
    page = query_page()
    query = query_text("q").lower()
    messages, total = services.outbox_page(db.session, search=query, page=page, page_size=PAGE_SIZE)
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
    found = services.get_message(db.session, message_id)
    return render_template(
        "mail/message.html",
        message=found,
        form=ConfirmForm(),
        LINK_PLACEHOLDER=services.LINK_TOKEN,
    )


@bp.route("/<int:message_id>/requeue", methods=["POST"])
@requires(Permission.OUTBOX_READ)
def requeue_message(message_id: int) -> Any:
    found = services.get_message(db.session, message_id)
    done = submit(ConfirmForm(), lambda: services.requeue(db.session, found))
    if done and done.value:
        flash(_("The message is queued again."), "success")
    return see_other("mail.message", message_id=found.id)
