"""A JSON body checked by the page's own form: the same rules, the same messages per field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from tracker.errors import DomainError

FormT = TypeVar("FormT", bound=FlaskForm)


class FormInvalid(DomainError):
    """What the form refused, field by field: a 422 problem with `errors`."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(_("Some of what you sent is not valid."))
        self.errors = errors


def _flat(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """WTForms' errors ({field: [messages]}, lists of dicts for rows) as {a.0.b: [messages]}."""
    found: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            key = f"{prefix}.{name}" if prefix else str(name or "_schema")
            found.update(_flat(value, key))
    elif isinstance(errors, list | tuple):
        if all(isinstance(item, str) or not isinstance(item, dict | list) for item in errors):
            found[prefix or "_schema"] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                if item:
                    found.update(_flat(item, f"{prefix}.{index}"))
    return found


def validated(form: FormT) -> FormT:
    if not form.validate():
        raise FormInvalid(_flat(form.errors))
    return form


def form_data(values: dict[str, Any]) -> MultiDict[str, str]:
    """A JSON body as the page's form would have been posted (lists of objects as WTForms'
    numbered rows: objectives-0-statement...)."""
    data: MultiDict[str, str] = MultiDict()
    for name, value in values.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                if isinstance(row, dict):
                    for key, item in row.items():
                        data.add(f"{name}-{index}-{key}", _text(item))
                else:
                    data.add(name, _text(row))
        else:
            data.add(name, _text(value))
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def checked(form_class: Callable[..., FormT], values: dict[str, Any], **kwargs: Any) -> FormT:
    """The page's form, filled from a JSON body and validated (FormInvalid otherwise)."""
    return validated(form_class(formdata=form_data(values), meta={"csrf": False}, **kwargs))
