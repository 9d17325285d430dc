"""Learning-data forms: a brick's identifiers, the academy's LRS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, RadioField, SelectField
from wtforms.validators import InputRequired, Length, Optional

from tracker.forms import (
    BoundedDateField,
    BoundedIntegerField,
    choices,
    long_text,
    optional_number,
    text_field,
)
from tracker.learning.models import EvaluationKind, LrsAuth


class BrickLinkForm(FlaskForm):
    course_id = text_field(
        _l("LMS course identifier"),
        500,
        description=_l("The course or module id as the LMS's exports give it."),
    )
    activity_iris = long_text(
        _l("xAPI activity IRIs"),
        10_000,
        _l(
            "One a line, as the statements' activity ids (for example https://lms.example.com/course/42)."
        ),
    )
    pre_course_id = text_field(
        _l("LMS course identifier of the pre-assessment"),
        500,
        description=_l(
            "The test learners take before the brick, if it has one: its scores are the"
            " “before” scores, and it counts as no completion of the brick."
        ),
    )
    pre_activity_iris = long_text(
        _l("xAPI activity IRIs of the pre-assessment"),
        10_000,
        _l("One a line. The brick's own IRIs above give the “after” scores."),
    )


class LrsForm(FlaskForm):
    endpoint = text_field(
        _l("LRS endpoint"),
        500,
        description=_l("The xAPI base address: statements are read from <endpoint>/statements."),
    )
    auth = RadioField(
        _l("Authentication"),
        choices=choices(
            [
                (LrsAuth.BASIC.value, _l("Key and secret (HTTP basic)")),
                (LrsAuth.TOKEN.value, _l("Token (Bearer)")),
            ]
        ),
        default=LrsAuth.BASIC.value,
        validators=[InputRequired()],
    )
    username = text_field(_l("Key (user name)"), 200)
    secret = PasswordField(
        _l("Secret or token"),
        validators=[Length(max=1000)],
        description=_l("Leave empty to keep the one saved. It is never shown again."),
    )
    clear_secret = RadioField(
        _l("Saved secret"),
        choices=choices([("keep", _l("Keep or replace")), ("clear", _l("Remove it"))]),
        default="keep",
        validators=[InputRequired()],
    )
    business_unit_extension = text_field(
        _l("Business unit extension"),
        500,
        description=_l(
            "The IRI of the statements' context extension holding the learner's business unit,"
            " if any."
        ),
    )


class UploadLmsExportForm(FlaskForm):
    file = FileField(
        _l("LMS export"),
        validators=[FileRequired(_l("Choose a file to import."))],
    )


class ColumnMappingForm(FlaskForm):
    """The academy's headers for its LMS report, field by field (a preset fills them)."""

    preset = SelectField(_l("Start from"), validators=[InputRequired()])
    learner_id = text_field(_l("Learner id"), 200)
    business_unit = text_field(_l("Business unit"), 200)
    course_id = text_field(_l("Course id"), 200)
    enrolment_date = text_field(_l("Enrolment date"), 200)
    completion_date = text_field(_l("Completion date"), 200)
    status = text_field(_l("Status"), 200)
    score = text_field(_l("Score"), 200)
    time_spent = text_field(_l("Time spent"), 200)
    date_order = SelectField(
        _l("Dates such as 02/01/2026"),
        choices=choices([("dmy", _l("Day/month/year: 2 January 2026")),
                         ("mdy", _l("Month/day/year (US): February 1, 2026"))]),
    )  # fmt: skip
    time_unit = SelectField(
        _l("A time spent written as a bare number is in"),
        choices=choices([("minutes", _l("Minutes")), ("seconds", _l("Seconds")),
                         ("hours", _l("Hours")),
                         ("hms", _l("Never a bare number: hours:minutes:seconds"))]),
    )  # fmt: skip


def brick_link_form(objectives: Sequence[Any]) -> type[BrickLinkForm]:
    """The brick's link form with, for each of its objectives, an optional score threshold."""
    fields: dict[str, Any] = {}
    for objective in objectives:
        fields[f"threshold_{objective.id}"] = optional_number(
            objective.statement[:120],
            0,
            100,
            _l("The score, as a percentage, a learner must reach to have reached this objective."),
        )
        fields[f"survey_{objective.id}"] = SelectField(
            _l("Survey evidence"),
            choices=choices(
                [
                    ("", _l("None")),
                    ("reaction:intention", _l("Intention to apply (J+0)")),
                    ("transfer_30:applied", _l("Applied at work (J+30)")),
                    ("transfer_90:applied", _l("Applied at work (J+90)")),
                ]
            ),
            default="",
        )
    return type("BrickLinkWithObjectivesForm", (BrickLinkForm,), fields)


class EvaluationForm(FlaskForm):
    kind = SelectField(
        _l("Evaluation"),
        choices=choices(
            [
                (EvaluationKind.REACTION.value, _l("Reaction at J+0")),
                (EvaluationKind.TRANSFER_30.value, _l("Transfer at J+30")),
                (EvaluationKind.TRANSFER_90.value, _l("Transfer at J+90")),
            ]
        ),
        validators=[InputRequired()],
    )
    closes_on = BoundedDateField(
        _l("Closing date"),
        validators=[Optional()],
        description=_l("Empty: in 14 days. At most 120 days ahead."),
    )


class EvaluationClosingForm(FlaskForm):
    """A manager moves an evaluation's closing date, or closes it now."""

    closes_on = BoundedDateField(_l("Closing date"), validators=[Optional()])


class NamedModeForm(FlaskForm):
    named = BooleanField(_l("Keep learners' names and e-mails (named mode)"))
    retention_days = BoundedIntegerField(
        _l("Retention (days)"),
        [InputRequired()],
        minimum=1,
        maximum=3650,
        description=_l("Names and e-mails are erased this many days after they were read."),
    )


class EvaluationSettingsForm(FlaskForm):
    auto = BooleanField(
        _l("Open the evaluations after each release automatically"),
        description=_l(
            "The reaction on the day of the release, the transfers 30 and 90 days later; in"
            " named mode they are e-mailed to the learners who completed the bricks, with one"
            " reminder before they close."
        ),
    )


class ThresholdsForm(FlaskForm):
    """The academy's thresholds: a brick under one proposes an improvement brick."""

    min_completion_rate = optional_number(
        _l("Minimum completion rate (%)"),
        0,
        100,
        _l("The share of enrolled learners who completed the brick. Empty: not checked."),
    )
    min_satisfaction = optional_number(
        _l("Minimum satisfaction at J+0 (CSAT, %)"),
        0,
        100,
        _l("The share of 4 and 5 out of 5 in the reaction evaluation. Empty: not checked."),
    )
    min_objective_share = optional_number(
        _l("Minimum share of learners reaching each objective (%)"),
        0,
        100,
        _l("For each objective tied to evidence (a score, a survey question). Empty: not checked."),
    )
