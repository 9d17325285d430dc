"""Webhook forms: shape checks only; the rules live in tracker.webhooks.services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.forms import choices, once_field, text_field
from tracker.webhooks.addresses import MAX_URL_LENGTH
from tracker.webhooks.events import EVENT_TYPES
from tracker.webhooks.labels import EVENT_LABELS


class EventsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[DataRequired(), Length(max=MAX_URL_LENGTH)],
        description=_l("An https:// address of the receiving system, reachable from Brique."),
    )
    description = text_field(_l("Description"), 200, description=_l("What receives them."))
    event_types = EventsField(
        _l("Events"), choices=choices([(t, EVENT_LABELS[t]) for t in EVENT_TYPES])
    )


class NewEndpointForm(EndpointForm):
    once = once_field()
