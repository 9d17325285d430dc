"""Vendor forms: shape checks; the rules are in services.py."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Email, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.backlog.labels import BRICK_LANGUAGES, FORMAT_LABELS
from tracker.forms import (
    BoundedDateField,
    LocaleDecimalField,
    UniqueNameForm,
    choices,
    long_text,
    once_field,
    optional_number,
    text_field,
    whole,
)
from tracker.vendors.labels import LMS_LABELS
from tracker.vendors.quotes import CURRENCIES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VendorForm(UniqueNameForm):
    name_taken_message = _l("Another vendor already has this name.")

    name = text_field(_l("Name"), 120, required=True)
    company = text_field(_l("Company (legal name, registration number)"), 200)
    specialties = MultiCheckboxField(
        _l("Specialties (formats)"),
        choices=choices([(fmt.value, label) for fmt, label in FORMAT_LABELS.items()]),
    )
    languages = MultiCheckboxField(
        _l("Languages"), choices=choices([(code, code.upper()) for code in BRICK_LANGUAGES])
    )
    tags = text_field(
        _l("Watch tags"),
        500,
        description=_l("Separated by commas, e.g. “3D, mobile, gamification”."),
    )
    contract_reference = text_field(_l("Contract reference"), 120)
    contract_start = BoundedDateField(_l("Contract start"), validators=[Optional()])
    contract_end = BoundedDateField(_l("Contract end"), validators=[Optional()])
    notes = long_text(_l("Notes"), 20000, _l("Markdown."))


class CreateVendorForm(VendorForm):
    once = once_field()


class ContactForm(FlaskForm):
    name = text_field(_l("Name"), 120, required=True, in_headers=True)
    email = text_field(_l("E-mail address"), 254, required=True, in_headers=True)
    phone = text_field(_l("Phone"), 40)
    job_title = text_field(_l("Job title"), 120)

    def validate_email(self, field: Any) -> None:
        Email(message=str(_l("Give a valid e-mail address.")))(self, field)


class AssignForm(FlaskForm):
    bricks = SelectMultipleField(_l("Bricks"), coerce=whole, validate_choice=False)


class SettingsForm(FlaskForm):
    lms_standard = SelectField(
        _l("LMS standard"), choices=choices([(k.value, v) for k, v in LMS_LABELS.items()])
    )
    accessibility_target = text_field(_l("Accessibility target"), 120, required=True)
    devices = text_field(_l("Devices"), 255, description=_l("e.g. “desktop, tablet, smartphone”."))
    template = long_text(
        _l("Specification template"),
        50000,
        _l("Markdown; empty: the built-in template. Placeholders: see below."),
    )


class NewSpecificationForm(FlaskForm):
    once = once_field()
    source = SelectField(_l("Generate from"), validate_choice=False)

    def __init__(self, *args: Any, sources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source.choices = sources

    def validate_source(self, field: Any) -> None:
        if field.data not in {choice.value for choice in self.source.choices or []}:
            raise ValidationError(str(_l("Choose a brick, a learning path or a release.")))


class EditSpecificationForm(FlaskForm):
    title = text_field(_l("Title"), 200, required=True)
    body = long_text(_l("Specification"), 200000, _l("Markdown."))


class AnswerForm(FlaskForm):
    answer = long_text(_l("Your answer"), 50000, _l("Markdown."))


def _currencies() -> Any:
    return choices([(code, code) for code in CURRENCIES])


class QuoteForm(FlaskForm):
    once = once_field()
    amount = LocaleDecimalField(_l("Amount (excluding tax)"), validators=[DataRequired()])
    currency = SelectField(_l("Currency"), choices=_currencies(), default="EUR")
    days = optional_number(_l("Days of work"), 0, 10000)
    valid_until = BoundedDateField(_l("Valid until"), validators=[Optional()])
    note = long_text(_l("Note"), 20000, _l("Markdown."))


class DecideQuoteForm(FlaskForm):
    decision = SelectField(
        _l("Decision"), choices=choices([("accept", _l("Accept")), ("refuse", _l("Refuse"))])
    )
    note = long_text(_l("Note"), 5000, _l("Required to refuse."))


class PlannedCostForm(FlaskForm):
    planned = LocaleDecimalField(_l("Planned cost"), validators=[Optional()])
    currency = SelectField(_l("Currency"), choices=_currencies(), default="EUR")
