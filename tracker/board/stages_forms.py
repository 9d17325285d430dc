"""Stage forms: shape checks; the unique-name rule comes in as a callable."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired

from tracker.academies.models import Stage, StageCategory, WipPolicy
from tracker.forms import (
    UniqueNameForm,
    choices,
    once_field,
    optional_number,
    text_field,
)

CATEGORY_CHOICES = choices(
    [
        (StageCategory.BACKLOG.value, _l("Backlog: not started")),
        (StageCategory.ACTIVE.value, _l("In progress")),
        (StageCategory.REVIEW.value, _l("Review")),
        (StageCategory.DONE.value, _l("Done: needs a complete definition of done")),
    ]
)
POLICY_CHOICES = choices(
    [
        (WipPolicy.WARN.value, _l("Warn: the column shows it is over its limit")),
        (WipPolicy.BLOCK.value, _l("Block: a full column refuses more cards")),
    ]
)


class EditStageForm(UniqueNameForm):
    name_taken_message = _l("Another stage already has this name.")

    name = text_field(_l("Name"), 60, required=True)
    category = SelectField(
        _l("Category"),
        choices=CATEGORY_CHOICES,
        default=StageCategory.ACTIVE.value,
        description=_l("What the charts count it as: waiting, in progress, in review or done."),
    )
    wip_limit = optional_number(
        _l("WIP limit"), 1, 1000, _l("The most cards the column should hold. Empty: no limit.")
    )
    wip_policy = RadioField(
        _l("When the limit is reached"),
        choices=POLICY_CHOICES,
        default=WipPolicy.WARN.value,
        validators=[DataRequired()],
    )


class AddStageForm(EditStageForm):
    once = once_field()


class RemoveStageForm(FlaskForm):
    """Where the removed stage's cards go (required by the service when it has any)."""

    destination = SelectField(_l("Move its cards to"), default="")

    def __init__(self, *args: Any, others: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.destination.choices = choices(
            [("", _l("Choose a stage")), *[(str(s.id), s.name) for s in others]]
        )
