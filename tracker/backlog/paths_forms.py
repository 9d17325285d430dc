"""Learning path forms: shape checks; the name rule comes in as a callable."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length

from tracker.backlog.paths_services import PALETTE, PALETTE_HEXES
from tracker.forms import choices, once_field


class EditPathForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    colour = RadioField(
        _l("Colour"),
        choices=choices(list(PALETTE)),
        default=PALETTE_HEXES[0],
        validators=[DataRequired()],
        description=_l("Shown on the board and in the backlog; the name is always shown too."),
    )
    target_population = StringField(
        _l("Target population"),
        validators=[Length(max=255)],
        description=_l("Who this path is for, e.g. “all employees” or “branch advisers”."),
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=5000)], description=_l("Markdown.")
    )

    def __init__(self, *args: object, is_name_taken: Callable[[str], bool], **kwargs: object):
        super().__init__(*args, **kwargs)
        self._is_name_taken = is_name_taken

    def validate_name(self, field: StringField) -> None:
        if field.data and self._is_name_taken(field.data):
            raise ValidationError(_l("Another learning path already has this name."))


class CreatePathForm(EditPathForm):
    once = once_field()


class MovePathForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])
