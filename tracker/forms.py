"""Forms shared by every area."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, Length
from wtforms.widgets import TextInput

from tracker.submissions import TOKEN_MAX, new_token


def choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def text_field(
    label: Any,
    max_length: int,
    *,
    required: bool = False,
    multiline: bool = False,
    description: Any = "",
    **kwargs: Any,
) -> Any:
    """A text input (a text area if `multiline`) of at most `max_length` characters, required
    or not: every text a form takes is bounded."""
    validators: list[Any] = [DataRequired()] if required else []
    field = TextAreaField if multiline else StringField
    return field(
        label, validators=[*validators, Length(max=max_length)], description=description, **kwargs
    )


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
