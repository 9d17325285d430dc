"""Attachments of a brick: upload, download (always as a download), thumbnail, remove."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app, flash, g, make_response
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from tracker.attachments import bp, services
from tracker.attachments.forms import UploadForm
from tracker.attachments.models import Attachment
from tracker.auth.permissions import Permission, can
from tracker.backlog.services import get_brick
from tracker.db import db, utcnow
from tracker.errors import Forbidden
from tracker.forms import ConfirmForm
from tracker.web import requires, see_other, submit


@bp.app_template_global()
def brick_attachments(brick: Any) -> list[Attachment]:
    """For the brick's page (templates/attachments/_brick.html)."""
    return services.brick_attachments(db.session, brick)


@bp.route("/bricks/<int:number>/attachments", methods=["POST"])
@requires(Permission.BRICK_EDIT)
def upload(number: int) -> Any:
    brick = get_brick(db.session, g.academy, number)
    form = UploadForm()
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])

    def attach() -> Attachment:
        stream = form.file.data
        # One byte past the limit is enough to refuse: never more in memory.
        data = stream.read(limit + 1)
        return services.attach_to_brick(
            db.session, brick, actor=current_user, filename=stream.filename or "",
            data=data, max_bytes=limit, now=utcnow(),
        )  # fmt: skip

    done = submit(form, attach)
    if done and done.value:
        flash(_("The file %(name)s is attached.", name=done.value.filename), "success")
    else:
        for message in form.file.errors or [_("The file could not be attached.")]:
            flash(str(message), "error")
    return see_other("backlog.brick", number=brick.number, _anchor="attachments")


def _file_response(data: bytes, media_type: str, filename: str, *, inline: bool) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = media_type
    disposition = "inline" if inline else "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even opened directly, the file runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _attachment(attachment_id: int, permission: Permission) -> Attachment:
    """The file, if the person may do `permission` on its brick (a vendor's member: only on
    their vendor's bricks, as for the brick's own pages); a feedback item's file, if they
    triage the academy's feedback (seen, never removed: it is the tester's); else 403."""
    attachment = services.get_attachment(db.session, g.academy, attachment_id)
    if attachment.feedback_item_id is not None:
        allowed = permission == Permission.BRICK_VIEW and can(
            current_user, Permission.ITEM_TRIAGE, g.academy
        )
    else:
        allowed = can(
            current_user, permission, g.academy, brick=services.brick_of(db.session, attachment)
        )
    if not allowed:
        raise Forbidden(_("Your role does not allow this."))
    return attachment


@bp.route("/attachments/<int:attachment_id>/download")
@requires(Permission.BRICK_VIEW)
def download(attachment_id: int) -> Any:
    attachment = _attachment(attachment_id, Permission.BRICK_VIEW)
    data = services.content(db.session, attachment)
    return _file_response(data, attachment.media_type, attachment.filename, inline=False)


@bp.route("/attachments/<int:attachment_id>/thumbnail")
@requires(Permission.BRICK_VIEW)
def thumbnail(attachment_id: int) -> Any:
    """A PNG Brique drew itself from the image (never the uploaded bytes), shown inline."""
    attachment = _attachment(attachment_id, Permission.BRICK_VIEW)
    data = services.content(db.session, attachment, thumbnail=True)
    return _file_response(data, "image/png", f"{attachment.filename}.png", inline=True)


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
@requires(Permission.BRICK_EDIT)
def delete(attachment_id: int) -> Any:
    attachment = _attachment(attachment_id, Permission.BRICK_EDIT)
    number = services.brick_of(db.session, attachment).number
    name = attachment.filename
    done = submit(
        ConfirmForm(),
        lambda: services.remove_attachment(
            db.session, attachment, actor=current_user, now=utcnow()
        ),
    )
    if done:
        flash(_("The file %(name)s is removed.", name=name), "success")
    return see_other("backlog.brick", number=number, _anchor="attachments")
