"""Sprint forms: plan and edit (the unique-name rule comes in as a callable), commit and remove
bricks, close with a destination per unfinished brick, and the reports' period (GET)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    ValidationError,
)
from wtforms.validators import DataRequired, Optional

from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.list_forms import check_chosen_bricks
from tracker.backlog.models import Brick, BrickFormat, LearningPath
from tracker.forms import (
    BoundedDateField,
    UniqueNameForm,
    choices,
    long_text,
    once_field,
    optional_number,
    text_field,
    whole,
)
from tracker.sprints.flow import MAX_PERIOD_DAYS
from tracker.sprints.models import Sprint


class PlanSprintForm(UniqueNameForm):
    name_taken_message = _l("Another sprint already has this name.")

    once = once_field()  # the edit form inherits it, unused
    name = text_field(_l("Name"), 120, required=True, description=_l("For example “Sprint 3”."))
    goal = long_text(_l("Goal"), 5000)
    start_date = BoundedDateField(_l("Start"), validators=[DataRequired()])
    end_date = BoundedDateField(_l("End"), validators=[DataRequired()])
    capacity_points = optional_number(
        _l("Capacity (points)"),
        0,
        10000,
        _l("How many points the team can take on in this sprint."),
    )

    def validate_end_date(self, field: DateField) -> None:
        start = self.start_date.data
        if start and field.data and field.data < start:
            raise ValidationError(_l("The end comes on or after the start."))


class EditSprintForm(PlanSprintForm):
    pass


class PlanningFilterForm(FlaskForm):
    """The planning view's backlog filters, from the query string (a shareable link)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    path = SelectField(_l("Learning path"), default="")
    format = SelectField(_l("Format"), default="")

    def __init__(self, formdata: Any, *, paths: Sequence[LearningPath], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        anything = _l("All")
        self.path.choices = choices(
            [("", anything), ("none", _l("No path")), *[(str(p.id), p.name) for p in paths]]
        )
        self.format.choices = choices(
            [("", anything), *[(f.value, label) for f, label in FORMAT_LABELS.items()]]
        )

    def values(self) -> tuple[BrickFormat | None, int | None]:
        """(format, learning path id; 0: no path); a stale value is dropped, not an error."""
        self.validate()
        fmt = BrickFormat(self.format.data) if self.format.data and not self.format.errors else None
        if self.path.errors or not self.path.data:
            return fmt, None
        return fmt, 0 if self.path.data == "none" else int(self.path.data)


class _BricksForm(FlaskForm):
    """Bricks chosen by their checkboxes (numbers); a reason when the sprint has started."""

    brick = SelectMultipleField(_l("Bricks"), coerce=whole, validate_choice=False)
    reason = text_field(
        _l("Reason for the scope change"),
        1000,
        description=_l("The sprint has started: the change is recorded with this reason."),
    )

    def validate_brick(self, field: SelectMultipleField) -> None:
        check_chosen_bricks(field)


class CommitBricksForm(_BricksForm):
    pass


class RemoveBricksForm(_BricksForm):
    pass


BACKLOG_VALUE = "backlog"


class CloseSprintForm(FlaskForm):
    """One select per unfinished brick (field brick_<number>): the backlog or a planned sprint.

    Build it with close_sprint_form(), which adds the fields for the bricks of the day.
    """

    def destinations(self) -> dict[int, int | None]:
        """The choices posted; a brick the page did not show (it joined the sprint since) is
        left out, so that the service refuses the close rather than guess where it goes."""
        found: dict[int, int | None] = {}
        for field in self:
            if field.name.startswith("brick_") and field.raw_data:
                number = int(field.name.removeprefix("brick_"))
                found[number] = None if field.data == BACKLOG_VALUE else int(field.data)
        return found


def close_sprint_form(
    unfinished: Sequence[Brick], targets: Sequence[Sprint], **kwargs: Any
) -> CloseSprintForm:
    """By default each brick goes to the first planned sprint, or to the backlog if none."""
    options = choices(
        [(BACKLOG_VALUE, _l("Back to the backlog")), *[(str(s.id), s.name) for s in targets]]
    )
    default = str(targets[0].id) if targets else BACKLOG_VALUE

    class Form(CloseSprintForm):
        pass

    for brick in unfinished:
        setattr(
            Form,
            f"brick_{brick.number}",
            SelectField(
                _l("Where %(key)s goes", key=brick.key),
                choices=options,
                default=default,
                validators=[DataRequired()],
            ),
        )
    return Form(**kwargs)


class ReportPeriodForm(FlaskForm):
    """The period of the cumulative flow and of lead and cycle times (GET: a shareable link)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    # A context: French says "Du"/"Au" here, "Destinataire" for an e-mail's "To".
    start = BoundedDateField(lazy_pgettext("period", "From"), validators=[Optional()])
    end = BoundedDateField(lazy_pgettext("period", "To"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        start = self.start.data
        if start and field.data:
            if field.data < start:
                raise ValidationError(_l("The end comes on or after the start."))
            if (field.data - start).days + 1 > MAX_PERIOD_DAYS:
                raise ValidationError(
                    lazy_ngettext(
                        "Choose a period of at most %(num)s day.",
                        "Choose a period of at most %(num)s days.",
                        MAX_PERIOD_DAYS,
                    )
                )

    def period(self, today: dt.date, default_days: int = 30) -> tuple[dt.date, dt.date]:
        """The valid period asked for, or the last `default_days` days up to today."""
        end = self.end.data if self.end.data and not self.end.errors else today
        start = self.start.data if self.start.data and not self.errors else None
        if start is None or start > end or (end - start).days + 1 > MAX_PERIOD_DAYS:
            start = end - dt.timedelta(days=default_days - 1)
        return start, end
