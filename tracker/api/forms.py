"""The forms of the token pages (profile) and of the service accounts (academy settings)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField

from tracker.academies.labels import ROLE_LABELS
from tracker.api.services import EXPIRY_CHOICES
from tracker.forms import choices, text_field

ACCESS_CHOICES = [("read", _l("Read only")), ("write", _l("Read and write"))]


def _expiry_choices() -> list[Any]:
    return choices(
        [(str(days), lazy_ngettext("%(num)s day", "%(num)s days", days)) for days in EXPIRY_CHOICES]
    )


class TokenForm(FlaskForm):
    name = text_field(
        _l("Name"), 120, required=True, description=_l("What it is for, e.g. “LMS sync”.")
    )
    access = RadioField(_l("Access"), choices=choices(ACCESS_CHOICES), default="read")
    days = SelectField(_l("Expires after"), default="90")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.days.choices = _expiry_choices()


class PersonalTokenForm(TokenForm):
    academy = SelectField(_l("Academy"), default="")

    def set_academies(self, academies: list[Any]) -> None:
        self.academy.choices = choices(
            [("", _l("All my academies")), *[(a.slug, a.name) for a in academies]]
        )


class ServiceAccountForm(FlaskForm):
    name = text_field(
        _l("Name"), 120, required=True, description=_l("The integration, e.g. “Moodle LMS”.")
    )
    role = SelectField(
        _l("Acts as"),
        default="designer",
        description=_l("Its role in this academy: it may do what a member with this role does."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = choices([(r.value, label) for r, label in ROLE_LABELS.items()])
