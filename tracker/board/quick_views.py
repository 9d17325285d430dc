"""A card's quick view: the brick in a dialog on the board (static/js/quick-view.js): its main
fields (title and owner edited in place), objectives, definition of done (ticked there), latest
comments (one posted there) and latest history.

`quick_view` answers an HTML fragment (the dialog's body, server-rendered so that labels,
dates and escaping are the pages' own); `quick_edit` takes JSON and answers JSON: the new
version and what the card shows, or an RFC 9457 problem naming the field at fault. The edit
goes through the brick form's own service (sprints.scope.edit_brick: the board's rules and the
version the person saw). A tick and a comment are ordinary form posts (CSRF field, the brick
page's forms and services) that answer the fragment again: the dialog shows the result, or the
comment form with what was typed and its error. Without JavaScript a card's title is a plain
link to the brick's page, where the same forms are.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.academies.services import brick_owners
from tracker.auth.models import User
from tracker.auth.permissions import Permission, can
from tracker.backlog import pages, presenting, services
from tracker.backlog.bloom import BLOOM_LABELS
from tracker.backlog.forms import CommentBrickForm
from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.models import Brick, Comment
from tracker.backlog.services import load_brick_page
from tracker.board import bp
from tracker.board.presenting import avatar_colour, initials
from tracker.db import db, parse_whole, utcnow
from tracker.errors import Conflict, DomainError
from tracker.sprints import scope
from tracker.web import problem, requires, submit_once

TITLE_MAX = Brick.title.type.length or 200
COMMENTS_SHOWN = 3  # the latest comments; the brick's page has them all
HISTORY_SHOWN = 5  # the latest events


def _fragment(
    number: int,
    *,
    comment_form: CommentBrickForm | None = None,
    status: int = 200,
    message: str = "",
) -> Any:
    """The dialog's body, in a fixed number of queries (services.brick_page)."""
    page = services.brick_page(db.session, g.academy, number, history_limit=HISTORY_SHOWN)
    brick = page.brick
    can_edit = can(current_user, Permission.BRICK_EDIT, g.academy)
    owners = brick_owners(db.session, g.academy) if can_edit else []
    if brick.owner is not None and brick.owner not in owners and can_edit:
        owners.append(brick.owner)  # keeps an owner who has since changed role
    return (
        render_template(
            "board/_quick_view.html",
            brick=brick,
            can_edit=can_edit,
            may_tick=can(current_user, Permission.CHECKLIST_TICK, g.academy, brick=brick),
            may_comment=can(current_user, Permission.BRICK_COMMENT, g.academy, brick=brick),
            owners=owners,
            comments=page.comments[-COMMENTS_SHOWN:],
            comments_total=len(page.comments),
            comment_form=comment_form or CommentBrickForm(),
            history=[presenting.present_activity(event, page.book) for event in page.events],
            history_total=page.history_total,
            book=page.book,
            message=message,
            format_label=FORMAT_LABELS[brick.format],
            BLOOM_LABELS=BLOOM_LABELS,
        ),
        status,
    )


@bp.route("/board/<int:number>/quick")
@requires(Permission.BOARD_VIEW)
def quick_view(number: int) -> Any:
    return _fragment(number)


@bp.route("/board/<int:number>/quick/checklist/<int:item_id>", methods=["POST"])
@requires(Permission.CHECKLIST_TICK)
def quick_tick(number: int, item_id: int) -> Any:
    """Tick (done=1) or untick (done=0) one item of the definition of done; the fragment again."""
    pages.tick_from_form(number, item_id)
    db.session.expire_all()  # the fragment reads the brick as saved
    return _fragment(number)


@bp.route("/board/<int:number>/quick/comments", methods=["POST"])
@requires(Permission.BRICK_COMMENT)
def quick_comment(number: int) -> Any:
    """Post a comment (once per display of the form); the fragment again, with the typed text
    and its error when refused."""
    brick = load_brick_page(db.session, g.academy, number)
    form = CommentBrickForm()
    done = submit_once(
        form,
        Comment,
        lambda: services.add_comment(
            db.session, brick, author=current_user, body=form.body.data or "", now=utcnow()
        ),
    )
    if done:
        db.session.expire_all()
        return _fragment(number, message=_("Your comment is posted."))
    return _fragment(number, comment_form=form, status=done.status)


class InvalidEdit(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _read_edit(payload: Any, owner_ids: set[int]) -> tuple[int, dict[str, Any]]:
    """The version the person saw and the fields sent ("title", "owner": a member's id or
    null), checked for shape; raises InvalidEdit naming the field."""
    if not isinstance(payload, dict):
        raise InvalidEdit(_("Send a JSON object."), "")
    version = parse_whole(payload.get("version"))
    if version is None:
        raise InvalidEdit(_("“%(key)s” must be a whole number.", key="version"), "version")
    values: dict[str, Any] = {}
    if "title" in payload:
        title = payload["title"]
        if not isinstance(title, str) or not title.strip():
            raise InvalidEdit(_("Give the brick a title."), "title")
        if len(title.strip()) > TITLE_MAX:
            raise InvalidEdit(
                ngettext("At most %(num)s character.", "At most %(num)s characters.", TITLE_MAX),
                "title",
            )
        values["title"] = title.strip()
    if "owner" in payload:
        owner = payload["owner"]
        if owner in (None, ""):
            values["owner_id"] = None
        else:
            owner_id = parse_whole(owner)
            if owner_id is None or owner_id not in owner_ids:
                raise InvalidEdit(_("Choose an owner from the list."), "owner")
            values["owner_id"] = owner_id
    if not values:
        raise InvalidEdit(_("Nothing to change: send “title” or “owner”."), "")
    return version, values


@bp.route("/board/<int:number>/quick", methods=["POST"])
@requires(Permission.BRICK_EDIT)
def quick_edit(number: int) -> Any:
    brick = load_brick_page(db.session, g.academy, number)
    owner_ids = {u.id for u in brick_owners(db.session, g.academy)}
    if brick.owner_id is not None:
        owner_ids.add(brick.owner_id)
    try:
        version, values = _read_edit(request.get_json(silent=True), owner_ids)
    except InvalidEdit as error:
        return problem(422 if error.field else 400, str(error), code="invalid", field=error.field)
    try:
        changes = scope.edit_brick(
            db.session, brick, actor=current_user, expected_version=version, now=utcnow(),
            **values,
        )  # fmt: skip
    except Conflict as error:
        db.session.rollback()
        return problem(409, error.message, code="conflict")
    except DomainError as error:
        db.session.rollback()
        return problem(error.status, error.message, code="invalid", field=error.field or "")
    db.session.commit()
    # By id: the relationship loaded with the brick may still name the former owner.
    owner = db.session.get(User, brick.owner_id) if brick.owner_id is not None else None
    return jsonify(
        ok=True,
        changed=sorted(changes),
        version=brick.version,
        title=brick.title,
        owner=None
        if owner is None
        else {
            "id": owner.id,
            "name": owner.display_name,
            "initials": initials(owner.display_name),
            "colour": avatar_colour(owner.display_name),
        },
        message=_("%(key)s is saved.", key=brick.key) if changes else _("Nothing changed."),
    )
