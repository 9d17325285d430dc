"""Forms shared by every area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import NumberInput, TextInput

from tracker.db import FIRST_DATE, INTEGER_MAX, LAST_DATE, parse_integer, parse_whole
from tracker.mail.services import has_control_characters
from tracker.submissions import TOKEN_MAX, new_token


def whole(value: Any) -> int:
    """A select's coerce for ids and numbers: a whole number a column holds, else ValueError
    (which WTForms shows as an invalid choice)."""
    number = parse_whole(value)
    if number is None:
        raise ValueError("not a whole number")
    return number


def choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def no_control_characters(_form: Any, field: Field) -> None:
    """A name (of a person, of an academy) ends up in e-mail headers: a line break, a tab or
    another control character in it is refused where it is typed."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Line breaks, tabs and other control characters are not allowed."))


def text_field(
    label: Any,
    max_length: int,
    *,
    required: bool = False,
    multiline: bool = False,
    in_headers: bool = False,
    description: Any = "",
    **kwargs: Any,
) -> Any:
    """A text input (a text area if `multiline`) of at most `max_length` characters, required
    or not: every text a form takes is bounded. `in_headers`: the text ends up in e-mail
    headers (a subject, a sender's name), so control characters are refused."""
    validators: list[Any] = [DataRequired()] if required else []
    if in_headers:
        validators.append(no_control_characters)
    field = TextAreaField if multiline else StringField
    return field(
        label, validators=[*validators, Length(max=max_length)], description=description, **kwargs
    )


def long_text(label: Any, max_length: int, description: Any = "", **kwargs: Any) -> Any:
    """An optional text area of at most `max_length` characters."""
    return text_field(label, max_length, multiline=True, description=description, **kwargs)


def form_values(form: FlaskForm, *names: str, texts: Sequence[str] = ()) -> dict[str, Any]:
    """The fields' values as the services take them, by field name: the text fields (`texts`,
    where empty gives "") first, then the others (`names`)."""
    found = {name: form[name].data or "" for name in texts}
    found.update({name: form[name].data for name in names})
    return found


class UniqueNameForm(FlaskForm):
    """A form whose `name` must not be another row's. The rule belongs to the services: the
    view passes it as `is_name_taken`; the subclass sets `name_taken_message`."""

    name_taken_message: Any = ""

    def __init__(self, *args: Any, is_name_taken: Callable[[str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_name_taken = is_name_taken

    def validate_name(self, field: Field) -> None:
        if field.data and self._is_name_taken(field.data):
            raise ValidationError(self.name_taken_message)


class MoveForm(FlaskForm):
    """Move a row of a positioned list one place up or down."""

    direction = HiddenField(validators=[AnyOf(["up", "down"])])

    @property
    def offset(self) -> int:
        return -1 if self.direction.data == "up" else 1


class ChooseLanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=choices([("fr", "Français"), ("en", "English")]))
    next = HiddenField()


def once_field() -> HiddenField:
    """A create form's token, drawn each time the form is shown (tracker.submissions): the
    same form sent twice creates one object. Kept as sent when the form comes back."""
    return HiddenField(default=new_token, validators=[Length(max=TOKEN_MAX)])


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


def optional_number(
    label: Any, minimum: int, maximum: int, description: Any = "", **kwargs: Any
) -> BoundedIntegerField:
    """An optional whole number between two bounds: the most common number field."""
    return BoundedIntegerField(
        label, [Optional()], minimum=minimum, maximum=maximum, description=description, **kwargs
    )


class LocaleDecimalField(DecimalField):
    """A decimal typed the reader's way: "50,5" in French, "50.5" in English (both accepted),
    and shown back in the reader's locale. A text input: a browser's number input would
    refuse the French comma."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "decimal")
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            raw = str(valuelist[0]).strip().replace("\u00a0", "").replace(" ", "")
            if not raw:
                self.data = None
                return
            try:
                self.data = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                self.data = None
                raise ValueError(self.gettext("Not a valid decimal value.")) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        places = self.places if self.places is not None else 2
        quantized = Decimal(self.data).quantize(Decimal(1).scaleb(-places))
        text = format_decimal(quantized, format="#,##0." + "0" * places if places else "#,##0")
        return str(text).replace("\u202f", "").replace("\u00a0", "")


class BoundedIntegerField(IntegerField):
    """A whole number between `minimum` and `maximum`, both required: every number a form takes
    has bounds that make sense for it (a WIP limit of two billion is not a WIP limit), and none
    passes what an INTEGER column holds. Only ASCII digits are read; anything else, or a number
    out of bounds, is a message beside the field (422), never a database error."""

    widget = NumberInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        minimum: int,
        maximum: int,
        **kwargs: Any,
    ) -> None:
        if not -INTEGER_MAX <= minimum <= maximum <= INTEGER_MAX:
            raise ValueError(f"bounds {minimum}..{maximum} exceed an INTEGER column")
        self.minimum, self.maximum = minimum, maximum
        render_kw = {"min": minimum, "max": maximum, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        self.data = parse_integer(raw) if raw else None
        if raw and self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not self.minimum <= self.data <= self.maximum:
            raise ValidationError(
                _(
                    "Enter a whole number between %(minimum)s and %(maximum)s.",
                    minimum=format_decimal(self.minimum),
                    maximum=format_decimal(self.maximum),
                )
            )


def check_date(value: dt.date) -> None:
    """Refuse a date outside the supported range (tracker.db FIRST_DATE..LAST_DATE)."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _(
                "Choose a date between %(first)s and %(last)s.",
                first=format_date(FIRST_DATE, "long"),
                last=format_date(LAST_DATE, "long"),
            )
        )


class BoundedDateField(DateField):
    """A date within the supported range (2000 to 2099): 9999-12-31 is a message beside the
    field, not an overflow in the date arithmetic behind it."""

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, dt.date):
            check_date(self.data)


class BoundedDateTimeLocalField(DateTimeLocalField):
    """A date and time whose day is within the supported range (see BoundedDateField)."""

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, dt.datetime):
            check_date(self.data.date())
