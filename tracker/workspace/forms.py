"""The digest setting (marking read is a ConfirmForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from tracker.forms import choices
from tracker.workspace.labels import FREQUENCY_LABELS


class DigestForm(FlaskForm):
    frequency = SelectField(
        _l("E-mail me my notifications"),
        choices=choices([(key.value, label) for key, label in FREQUENCY_LABELS.items()]),
    )
