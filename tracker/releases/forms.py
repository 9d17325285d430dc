"""Release forms: shape checks; the unique-name rule comes in as a callable (STYLE.md ex. 3)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional


class CreateReleaseForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("For example “Increment 1 — Digital foundations”."),
    )
    goal = TextAreaField(
        _l("Goal"),
        validators=[Length(max=5000)],
        description=_l("What this increment brings, and to whom. Markdown."),
    )
    target_date = DateField(_l("Target date"), validators=[Optional()])

    def __init__(self, *args: object, is_name_taken: Callable[[str], bool], **kwargs: object):
        super().__init__(*args, **kwargs)
        self._is_name_taken = is_name_taken

    def validate_name(self, field: StringField) -> None:
        if field.data and self._is_name_taken(field.data):
            raise ValidationError(_l("Another release already has this name."))


class EditReleaseForm(CreateReleaseForm):
    pass
