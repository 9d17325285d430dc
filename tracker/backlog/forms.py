"""Brick forms and the labels of brick fields: shape checks only; rules live in the services."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput, TextInput

from tracker.backlog.bloom import BLOOM_LABELS, DEFAULT_LEVEL
from tracker.backlog.labels import (
    BRICK_LANGUAGES,
    FORMAT_LABELS,
    format_duration,
    language_name,
    parse_duration,
)
from tracker.backlog.models import BloomLevel
from tracker.db import INTEGER_MAX
from tracker.forms import BoundedIntegerField, choices, once_field, optional_number


class DurationField(Field):
    """Minutes, typed as 90, 1h30, 1 h 30 or 1:30; shown as "1 h 30"."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_duration(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_duration(str(valuelist[0]))
        except ValueError:
            self.data = None
            raise ValueError(_l("Write minutes (90) or hours and minutes (1 h 30).")) from None


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _newlines(value: Any) -> Any:
    """Browsers post text areas with CRLF; store LF so that comparisons see real changes."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


BLOOM_CHOICES = choices([(level.value, label) for level, label in BLOOM_LABELS.items()])


class ObjectiveForm(Form):
    """One row of the objectives: a blank statement is ignored (that is how a row is removed)."""

    statement = StringField(
        _l("Objective"), validators=[Optional(), Length(max=500)], filters=[_strip]
    )
    bloom_level = SelectField(_l("Bloom level"), choices=BLOOM_CHOICES, default=DEFAULT_LEVEL.value)


# Blank objective rows offered below the filled ones (more can be added with JavaScript).
BLANK_OBJECTIVES = 3


class BrickForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    summary = StringField(
        _l("Summary"),
        validators=[Optional(), Length(max=500)],
        filters=[_strip],
        description=_l("One sentence: what the learner gets from it."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=50000)],
        filters=[_newlines],
        description=_l("Markdown: **bold**, *italics*, lists, [links](https://…)."),
    )
    format = SelectField(_l("Format"), validators=[DataRequired()])
    learner_minutes = DurationField(
        _l("Learner duration"),
        description=_l("Time for the learner: minutes (90) or hours and minutes (1 h 30)."),
    )
    estimate_points = optional_number(
        _l("Estimate (points)"), 0, 1000, description=_l("Effort to build it, in story points.")
    )
    stage_id = SelectField(_l("Stage"), coerce=optional_int, validators=[DataRequired()])
    sprint_id = SelectField(_l("Sprint"), coerce=optional_int)
    # Not a brick field: why a sprint that has started gains or loses this brick (its scope log).
    scope_reason = TextAreaField(
        _l("Why the sprint's scope changes"),
        validators=[Optional(), Length(max=1000)],
        filters=[_strip],
        description=_l(
            "Needed when the brick joins or leaves a sprint that has started: kept in the "
            "sprint's scope changes."
        ),
    )
    release_id = SelectField(_l("Release"), coerce=optional_int)
    learning_path_id = SelectField(_l("Learning path"), coerce=optional_int)
    owner_id = SelectField(_l("Owner"), coerce=optional_int)
    reviewer_id = SelectField(
        _l("Reviewer"),
        coerce=optional_int,
        description=_l(
            "A manager or designer of the academy, or a contact of the vendor the brick is "
            "assigned to."
        ),
    )
    vendor = StringField(
        _l("Vendor"),
        validators=[Optional(), Length(max=120)],
        filters=[_strip],
        description=_l("The company producing it, if not made in-house."),
    )
    target_audience = StringField(
        _l("Target audience"), validators=[Optional(), Length(max=255)], filters=[_strip]
    )
    language = SelectField(_l("Language"))
    prerequisites = TextAreaField(
        _l("Prerequisites"),
        validators=[Optional(), Length(max=5000)],
        filters=[_newlines, _strip],
        description=_l("What learners should know or have done before. Markdown."),
    )
    content_url = URLField(
        _l("Content link"),
        validators=[Optional(), Length(max=500)],
        filters=[_strip],
        description=_l("Where the brick lives: LMS, shared drive, video platform (https://…)."),
    )
    objectives = FieldList(FormField(ObjectiveForm), label=_l("Learning objectives"))

    def validate_content_url(self, field: URLField) -> None:
        if field.data and not re.match(r"^https?://[^\s/]+", field.data, re.IGNORECASE):
            raise ValidationError(_l("Give a web address starting with https:// or http://."))

    def set_choices(
        self,
        *,
        stages: Iterable[Any],
        sprints: Iterable[Any],
        releases: Iterable[Any],
        learning_paths: Iterable[Any],
        owners: Iterable[Any],
        locale: str,
        reviewers: Iterable[Any] = (),
        current_language: str | None = None,
    ) -> None:
        """Fill the selects with this academy's things (the view loads them). The languages are
        the usual ones, and the brick's own if an import set another: never what was posted
        (any posted value would be a valid choice)."""
        none = ("", _l("None"))
        self.format.choices = choices(
            [("", _l("Choose a format")), *[(f.value, label) for f, label in FORMAT_LABELS.items()]]
        )
        self.stage_id.choices = choices([(str(s.id), s.name) for s in stages])
        self.sprint_id.choices = choices([none, *[(str(s.id), s.name) for s in sprints]])
        self.release_id.choices = choices([none, *[(str(r.id), r.name) for r in releases]])
        self.learning_path_id.choices = choices(
            [none, *[(str(p.id), p.name) for p in learning_paths]]
        )
        self.owner_id.choices = choices(
            [("", _l("Nobody yet")), *[(str(u.id), u.display_name) for u in owners]]
        )
        self.reviewer_id.choices = choices(
            [("", _l("Nobody yet")), *[(str(u.id), u.display_name) for u in reviewers]]
        )
        codes = list(BRICK_LANGUAGES)
        if current_language and current_language not in codes:
            codes.append(current_language)  # keep a language set by an import
        self.language.choices = choices([(code, language_name(code, locale)) for code in codes])

    def keep_current(self, field: SelectField, value: int | None, label: str) -> None:
        """Keep a current value the lists no longer offer (a former designer as owner...)."""
        if value is None or any(optional_int(c.value) == value for c in field.choices or []):
            return
        field.choices = [*field.choices, *choices([(str(value), label)])]

    def keep_people(self, brick: Any, names: dict[int, str] | None = None) -> None:
        """The brick's owner and reviewer stay choices (and in `names`, the conflict table's)
        even when the lists no longer offer them (a designer who left...)."""
        for field, person in ((self.owner_id, brick.owner), (self.reviewer_id, brick.reviewer)):
            if person is not None:
                if names is not None:
                    names.setdefault(person.id, person.display_name)
                self.keep_current(field, person.id, person.display_name)

    def ensure_blank_objectives(self) -> None:
        blanks = sum(1 for entry in self.objectives if not entry.statement.data)
        for _ in range(BLANK_OBJECTIVES - blanks):
            self.objectives.append_entry({"statement": "", "bloom_level": DEFAULT_LEVEL.value})

    def brick_values(self) -> dict[str, Any]:
        """The brick's fields as the services take them."""
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "format": self.format.data,
            "learner_minutes": self.learner_minutes.data,
            "estimate_points": self.estimate_points.data,
            "stage_id": self.stage_id.data,
            "sprint_id": self.sprint_id.data,
            "release_id": self.release_id.data,
            "learning_path_id": self.learning_path_id.data,
            "owner_id": self.owner_id.data,
            "reviewer_id": self.reviewer_id.data,
            "vendor": self.vendor.data or "",
            "target_audience": self.target_audience.data or "",
            "language": self.language.data or "fr",
            "prerequisites": self.prerequisites.data or "",
            "content_url": self.content_url.data or "",
        }

    def objective_values(self) -> list[tuple[str, str]]:
        """Filled rows, in order: (statement, Bloom level)."""
        return [
            (entry.statement.data, entry.bloom_level.data)
            for entry in self.objectives
            if entry.statement.data and entry.statement.data.strip()
        ]

    def set_objectives(self, objectives: Iterable[tuple[str, str]]) -> None:
        """Replace the rows (the conflict page puts someone else's objectives in)."""
        while self.objectives.entries:
            self.objectives.pop_entry()
        for statement, level in objectives:
            self.objectives.append_entry({"statement": statement, "bloom_level": level})
        self.ensure_blank_objectives()


class CreateBrickForm(BrickForm):
    once = once_field()


class EditBrickForm(BrickForm):
    # The version the person loaded, and a fingerprint of each field as they saw it: on a
    # conflict they tell which fields the person changed and which someone else did.
    version = BoundedIntegerField(
        widget=HiddenInput(), validators=[DataRequired()], minimum=1, maximum=INTEGER_MAX
    )
    original = HiddenField()


class CommentBrickForm(FlaskForm):
    once = once_field()
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(), Length(max=20000)],
        filters=[_newlines],
        description=_l("Markdown."),
    )


class TickItemForm(FlaskForm):
    """Tick (done=1) or untick (done=0): the wanted state, not a toggle."""

    done = HiddenField(validators=[DataRequired()])

    def validate_done(self, field: HiddenField) -> None:
        if field.data not in ("0", "1"):
            raise ValidationError(_l("Not a valid choice."))


class AddChecklistItemForm(FlaskForm):
    once = once_field()
    label = StringField(
        _l("New item"), validators=[DataRequired(), Length(max=255)], filters=[_strip]
    )


class RenameChecklistItemForm(FlaskForm):
    # Sent from a list of items, its refusal is a flashed message: one that says what to do.
    label = StringField(
        _l("Item"),
        validators=[
            DataRequired(_l("Write the item (255 characters at most).")),
            Length(max=255, message=_l("Write the item (255 characters at most).")),
        ],
        filters=[_strip],
    )


def bloom_level_of(value: str | None) -> BloomLevel:
    try:
        return BloomLevel(value or DEFAULT_LEVEL.value)
    except ValueError:
        return DEFAULT_LEVEL
