"""Academy forms: shape checks only; the rules live in academies.services."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from tracker.academies.models import Role
from tracker.forms import (
    BoundedIntegerField,
    LocaleDecimalField,
    choices,
    long_text,
    once_field,
    optional_number,
    text_field,
)

ROLE_CHOICES = choices(
    [
        (Role.MANAGER.value, _l("Manager (DLM)")),
        (Role.DESIGNER.value, _l("Designer")),
        (Role.TESTER.value, _l("Beta tester")),
        (Role.STAKEHOLDER.value, _l("Stakeholder")),
    ]
)
ACADEMY_LOCALES = choices([("fr", "Français"), ("en", "English")])


class CreateAcademyForm(FlaskForm):
    once = once_field()
    name = text_field(_l("Name"), 120, required=True, in_headers=True)
    slug = StringField(
        _l("Address"),
        validators=[DataRequired(), Length(min=2, max=60)],
        description=_l("Used in links: lower-case letters, digits and dashes."),
    )
    key_prefix = StringField(
        _l("Brick key prefix"),
        validators=[DataRequired(), Length(min=2, max=10)],
        description=_l("Bricks are numbered ACAD-1, ACAD-2… with this prefix."),
    )
    default_locale = SelectField(_l("Language of the academy"), choices=ACADEMY_LOCALES)
    description = long_text(_l("Description"), 5000, _l("Markdown."))

    def __init__(self, *args: object, is_slug_taken: Callable[[str], bool], **kwargs: object):
        super().__init__(*args, **kwargs)
        self._is_slug_taken = is_slug_taken

    def validate_slug(self, field: StringField) -> None:
        if field.data and self._is_slug_taken(field.data.strip().lower()):
            raise ValidationError(_l("Another academy already uses this address."))


class EditAcademyForm(FlaskForm):
    name = text_field(_l("Name"), 120, required=True, in_headers=True)
    description = long_text(_l("Description"), 5000, _l("Markdown."))
    default_locale = SelectField(_l("Language of the academy"), choices=ACADEMY_LOCALES)
    sprint_length_days = BoundedIntegerField(
        _l("Sprint length (days)"), validators=[InputRequired()], minimum=1, maximum=90
    )
    gate_min_responses = optional_number(_l("Minimum responses"), 0, 100000, default=30)
    gate_min_response_rate = LocaleDecimalField(
        _l("Minimum response rate (%)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=100)],
        default=50,
    )
    gate_min_csat = LocaleDecimalField(
        _l("Minimum CSAT (%)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=100)],
        default=75,
    )
    gate_min_nps = LocaleDecimalField(
        _l("Minimum NPS"),
        places=0,
        validators=[Optional(), NumberRange(min=-100, max=100)],
        default=0,
    )
    gate_max_blocking = optional_number(_l("Maximum open blocking issues"), 0, 1000, default=0)


class InviteMemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],  # pasted
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.DESIGNER.value)


class ChangeRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
