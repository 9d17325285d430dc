"""Learning path forms: shape checks; the name rule comes in as a callable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import DataRequired

from tracker.backlog.paths_services import PALETTE, PALETTE_HEXES
from tracker.forms import UniqueNameForm, choices, long_text, once_field, text_field


class EditPathForm(UniqueNameForm):
    name_taken_message = _l("Another learning path already has this name.")

    name = text_field(_l("Name"), 120, required=True)
    colour = RadioField(
        _l("Colour"),
        choices=choices(list(PALETTE)),
        default=PALETTE_HEXES[0],
        validators=[DataRequired()],
        description=_l("Shown on the board and in the backlog; the name is always shown too."),
    )
    target_population = text_field(
        _l("Target population"),
        255,
        description=_l("Who this path is for, e.g. “all employees” or “branch advisers”."),
    )
    description = long_text(_l("Description"), 5000, _l("Markdown."))


class CreatePathForm(EditPathForm):
    once = once_field()
