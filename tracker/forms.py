"""Forms shared by every area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class ChooseLanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


