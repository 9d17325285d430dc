"""Feedback forms (shape checks only: the rules live in the services, rounds.py, questionnaire.py,
invitations.py, items.py, panel.py), and the time-zone conversion of datetime-local inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.db import parse_whole
from tracker.feedback.labels import ITEM_KIND_LABELS, QUESTION_KIND_LABELS, SEVERITY_LABELS
from tracker.feedback.models import (
    GateMetric,
    ItemKind,
    Severity,
)
from tracker.forms import (
    BoundedDateTimeLocalField,
    BoundedIntegerField,
    LocaleDecimalField,
    long_text,
    once_field,
    optional_number,
    text_field,
)
from tracker.forms import choices as options

LANGUAGE_CHOICES: list[tuple[str, object]] = [("fr", "Français"), ("en", "English")]

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def local_to_utc(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A wall-clock time typed in `zone` (naive) as an aware UTC datetime.

    ValueError for a time the clocks skip (the night summer time starts).
    """
    if value is None:
        return None
    tz = ZoneInfo(zone)
    utc = value.replace(tzinfo=tz).astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != value:
        raise ValueError("nonexistent local time")
    return utc


def utc_to_local(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """An aware datetime as the naive wall-clock time of `zone` (to fill a datetime-local)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class EditRoundForm(FlaskForm):
    release_id = SelectField(_l("Release"), validators=[DataRequired()])
    # In the subject of the invitations: a line break would cut it.
    title = text_field(_l("Title"), 200, required=True, in_headers=True)
    instructions = long_text(
        _l("Instructions for testers"), 5000, _l("Markdown. Shown at the top of the questionnaire.")
    )
    opens_at = BoundedDateTimeLocalField(
        _l("Opens at"),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("Empty: as soon as you open the round."),
    )
    closes_at = BoundedDateTimeLocalField(
        _l("Closes at"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    anonymous = BooleanField(
        _l("Anonymous: answers and reports are stored without the tester's name")
    )
    gate_min_responses = BoundedIntegerField(
        _l("Minimum responses"), validators=[InputRequired()], minimum=0, maximum=100000
    )
    gate_min_response_rate = LocaleDecimalField(
        _l("Minimum response rate (%)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    gate_min_csat = LocaleDecimalField(
        _l("Minimum CSAT (%)"), places=1, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    gate_min_nps = LocaleDecimalField(
        _l("Minimum NPS"), places=0, validators=[Optional(), NumberRange(min=-100, max=100)]
    )
    gate_max_blocking = optional_number(_l("Maximum open blocking issues"), 0, 1000)

    def __init__(
        self,
        *args: object,
        releases: Iterable[tuple[int, str]],
        time_zone: str,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.release_id.choices = options(
            [("", _l("Choose a release")), *[(str(i), name) for i, name in releases]]
        )
        zone_hint = _l("Time in %(zone)s.", zone=time_zone)
        self.closes_at.description = zone_hint
        self.opens_at.description = f"{_l('Empty: as soon as you open the round.')} {zone_hint}"

    def _check_local(self, field: Field) -> None:
        try:
            local_to_utc(field.data, self.time_zone)
        except ValueError:
            raise ValidationError(
                _l("This time does not exist here: the clocks go forward that night.")
            ) from None

    def validate_opens_at(self, field: Field) -> None:
        self._check_local(field)

    def validate_closes_at(self, field: Field) -> None:
        self._check_local(field)

    def utc(self, field: Field) -> dt.datetime | None:
        return local_to_utc(field.data, self.time_zone)


class CreateRoundForm(EditRoundForm):
    once = once_field()


QUESTION_KIND_CHOICES = [(kind.value, label) for kind, label in QUESTION_KIND_LABELS.items()]


class EditQuestionForm(FlaskForm):
    # validate_choice=False: the service says what is wrong, beside the field.
    kind = SelectField(
        _l("Kind of question"), choices=options(QUESTION_KIND_CHOICES), validate_choice=False
    )
    prompt = text_field(_l("Question"), 500, required=True)
    help_text = text_field(
        _l("Help text"), 500, description=_l("Optional: what the ends of a scale mean, an example…")
    )
    choices = long_text(
        _l("Choices"), 5000, _l("One per line, for single and multiple choice questions.")
    )
    required = BooleanField(_l("An answer is required"))
    per_brick = BooleanField(_l("Ask it once for each brick of the release"))
    gate_metric = SelectField(
        _l("Measures"),
        validate_choice=False,
        choices=options(
            [
                ("", _l("No gate criterion")),
                (GateMetric.CSAT.value, _l("CSAT (a 1-5 rating question)")),
                (GateMetric.NPS.value, _l("NPS (a 0-10 recommendation question)")),
                (
                    GateMetric.INTENTION.value,
                    _l("Intention to apply, compared with the J+0 reaction (a yes/no question)"),
                ),
            ]
        ),
    )


class AddQuestionForm(EditQuestionForm):
    once = once_field()


class ImportTestersForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])


class EditTesterForm(FlaskForm):
    business_unit = text_field(_l("Business unit"), 120)
    job_family = text_field(_l("Job family"), 120)
    site = text_field(_l("Site"), 120)
    language = SelectField(_l("Language"), choices=options(LANGUAGE_CHOICES))
    active = BooleanField(_l("Active: may be invited to rounds"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EditSegmentForm(FlaskForm):
    name = text_field(_l("Name"), 120, required=True)
    business_unit = MultiCheckboxField(_l("Business units"), validate_choice=False)
    job_family = MultiCheckboxField(_l("Job families"), validate_choice=False)
    site = MultiCheckboxField(_l("Sites"), validate_choice=False)
    language = MultiCheckboxField(_l("Languages"), validate_choice=False)

    def __init__(
        self,
        *args: object,
        values: dict[str, list[str]],
        chosen: dict[str, list[str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in ("business_unit", "job_family", "site", "language"):
            field = getattr(self, name)
            # The panel's values, plus any chosen one no tester has any more.
            offered = list(dict.fromkeys([*values.get(name, []), *chosen.get(name, [])]))
            labels = dict(LANGUAGE_CHOICES) if name == "language" else {}
            field.choices = options([(v, labels.get(v, v)) for v in offered])


class CreateSegmentForm(EditSegmentForm):
    once = once_field()


class InviteTestersForm(FlaskForm):
    mode = HiddenField(validators=[AnyOf(["all", "segment", "picked", "quota"])])
    segment_id = SelectField(_l("Segment"), validate_choice=False)

    def validate(self, extra_validators: Any = None) -> bool:
        if super().validate(extra_validators):
            return True
        self.form_errors.append(_l("Choose whom to invite."))
        return False


class ReportItemForm(FlaskForm):
    brick_id = SelectField(_l("About"), validate_choice=False)
    location = StringField(
        _l("Where exactly"),
        validators=[Length(max=120)],
        description=_l('For example "slide 4", "02:13", "page 3", "question 2 of the quiz".'),
    )
    kind = RadioField(
        _l("Kind"),
        choices=options([(k.value, label) for k, label in ITEM_KIND_LABELS.items()]),
        default=ItemKind.ISSUE.value,
    )
    severity = RadioField(
        _l("Severity"),
        choices=options([(s.value, label) for s, label in SEVERITY_LABELS.items()]),
        default=Severity.MINOR.value,
    )
    title = text_field(_l("Title"), 200, required=True)
    description = long_text(
        _l("Description"), 10000, _l("What happened, what you expected, how to see it again.")
    )
    # Optional: a screenshot (or a PDF, an office document), checked on its content.
    file = FileField(
        _l("Screenshot or file"),
        description=_l("Optional: an image (PNG, JPEG, GIF, WebP), a PDF or an office document."),
    )

    def __init__(self, *args: object, bricks: Iterable[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.brick_id.choices = options(
            [("", _l("The release as a whole")), *[(str(i), title) for i, title in bricks]]
        )

    def brick(self) -> int | None:
        return parse_whole(self.brick_id.data or "")
