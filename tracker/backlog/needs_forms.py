"""Training need forms: submit/edit, triage (a reason when declined), link a brick."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length

from tracker.backlog.labels import NEED_STATUS_LABELS
from tracker.backlog.models import NeedStatus
from tracker.db import INTEGER_MAX
from tracker.forms import (
    BoundedIntegerField,
    choices,
    long_text,
    once_field,
    optional_number,
    text_field,
)

CRITICALITY_CHOICES = choices(
    [
        ("1", _l("1 — Nice to have")),
        ("2", _l("2 — Useful")),
        ("3", _l("3 — Important")),
        ("4", _l("4 — Very important")),
        ("5", _l("5 — Critical (regulatory or business risk)")),
    ]
)
URGENCY_CHOICES = choices(
    [
        ("1", _l("1 — Within a year")),
        ("2", _l("2 — Within six months")),
        ("3", _l("3 — Within a quarter")),
        ("4", _l("4 — Within a month")),
        ("5", _l("5 — Now")),
    ]
)
STATUS_CHOICES = choices([(s.value, NEED_STATUS_LABELS[s]) for s in NeedStatus])


class SubmitNeedForm(FlaskForm):
    once = once_field()  # the edit form inherits it, unused
    title = text_field(
        _l("Title"),
        200,
        required=True,
        description=_l("The need in a few words, e.g. “Spot phishing e-mails”."),
    )
    description = long_text(
        _l("Description"), 10000, _l("What people must be able to do, and why now.")
    )
    business_unit = StringField(
        _l("Business unit"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("E.g. DRH, Banque de détail, DSI, Conformité."),
        # The page offers the units named so far, so that “DRH” stays one unit.
        render_kw={"list": "business-units", "autocomplete": "off"},
    )
    requester_name = text_field(
        _l("Requester"),
        120,
        description=_l("Who asked for it in the business (your name if left empty)."),
    )
    population = text_field(
        _l("Population"), 255, description=_l("Who should be trained, e.g. “branch advisers”.")
    )
    headcount = optional_number(
        _l("Headcount"), 0, 10_000_000, description=_l("How many people, roughly.")
    )
    criticality = SelectField(_l("Criticality"), choices=CRITICALITY_CHOICES, coerce=int, default=3)
    urgency = SelectField(_l("Urgency"), choices=URGENCY_CHOICES, coerce=int, default=3)


class EditNeedForm(SubmitNeedForm):
    pass


class TriageNeedForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    reason = long_text(
        _l("Reason for declining"),
        5000,
        _l("Required when you decline the need: the requester reads it."),
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if self.status.data == NeedStatus.DECLINED.value and not (field.data or "").strip():
            raise ValidationError(_l("Say why the need is declined: the requester will read it."))


class LinkBrickForm(FlaskForm):
    brick_id = BoundedIntegerField(validators=[InputRequired()], minimum=1, maximum=INTEGER_MAX)


class FindBrickForm(FlaskForm):
    """A GET search form (no CSRF): the bricks to link, by key or title."""

    class Meta:
        csrf = False

    q = text_field(_l("Find a brick by key or title"), 200)
