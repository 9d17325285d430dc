"""Helpers of the backlog's pages that other domains' pages use too (a view helper layer)."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from tracker.backlog import checklists, services
from tracker.backlog.forms import TickItemForm
from tracker.backlog.models import Brick
from tracker.db import db, utcnow
from tracker.web import submit


def tick_from_form(number: int, item_id: int) -> Brick:
    """Tick (done=1) or untick (done=0) one item of a brick's definition of done from the
    posted TickItemForm, committed; 400 when the form is refused, 404 for an unknown brick or
    item. The brick's page and the board's quick view both post it."""
    brick = services.load_brick_page(db.session, g.academy, number)
    item = checklists.get_checklist_item(brick, item_id)
    form = TickItemForm()
    wanted = form.done.data == "1"
    if not submit(
        form,
        lambda: checklists.tick_checklist_item(
            db.session, brick, item, done=wanted, actor=current_user, now=utcnow()
        ),
    ):
        abort(400)
    return brick
