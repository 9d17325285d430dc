"""Forms shared by every area."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Length
from wtforms.widgets import TextInput

from tracker.submissions import TOKEN_MAX, new_token


def choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


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
