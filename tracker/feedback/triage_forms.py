"""Triage board forms: moving a feedback item, turning it into a backlog brick."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from tracker.backlog.labels import FORMAT_LABELS
from tracker.db import INTEGER_MAX
from tracker.feedback.labels import ITEM_STATUS_LABELS
from tracker.forms import choices, once_field, optional_number, text_field


class _BoardForm(FlaskForm):
    """One form per item on the board, each under its own prefix (item12-status...) so that
    ids stay unique. CSRFProtect checks the page's token on every POST app-wide, whatever the
    prefix; the per-form field would be named item12-csrf_token, so it is left out here."""

    class Meta:
        csrf = False


class MoveItemForm(_BoardForm):
    status = SelectField(
        _l("Move to"),
        choices=choices([(s.value, label) for s, label in ITEM_STATUS_LABELS.items()]),
    )
    duplicate_of = optional_number(
        _l("Duplicate of item #"),
        1,
        INTEGER_MAX,
        _l("Only for duplicates: the number of the item this one repeats."),
        render_kw={"list": "triage-items"},
    )


class CreateBrickFromItemForm(_BoardForm):
    once = once_field()
    title = text_field(_l("Brick title"), 200, required=True)
    format = SelectField(
        _l("Format"), choices=choices([(f.value, label) for f, label in FORMAT_LABELS.items()])
    )
