"""Sprint forms (minimal: plan and edit); the unique-name rule comes in as a callable."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class PlanSprintForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("For example “Sprint 3”."),
    )
    goal = TextAreaField(_l("Goal"), validators=[Length(max=5000)])
    start_date = DateField(_l("Start"), validators=[DataRequired()])
    end_date = DateField(_l("End"), validators=[DataRequired()])
    capacity_points = IntegerField(
        _l("Capacity (points)"),
        validators=[Optional(), NumberRange(min=0, max=10000)],
        description=_l("How many points the team can take on in this sprint."),
    )

    def __init__(self, *args: object, is_name_taken: Callable[[str], bool], **kwargs: object):
        super().__init__(*args, **kwargs)
        self._is_name_taken = is_name_taken

    def validate_name(self, field: StringField) -> None:
        if field.data and self._is_name_taken(field.data):
            raise ValidationError(_l("Another sprint already has this name."))

    def validate_end_date(self, field: DateField) -> None:
        start = self.start_date.data
        if start and field.data and field.data < start:
            raise ValidationError(_l("The end comes on or after the start."))


class EditSprintForm(PlanSprintForm):
    pass
