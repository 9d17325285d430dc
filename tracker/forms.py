"""Forms shared by every area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField


def choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChooseLanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=choices([("fr", "Français"), ("en", "English")]))
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""
