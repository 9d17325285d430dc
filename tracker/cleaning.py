"""Cleaning what people type before the rules see it: text on one line, and its length
checked with the message every form shows."""

from __future__ import annotations

import enum
from typing import TypeVar

from flask_babel import ngettext

from tracker.errors import DomainError


def one_line(text: str | None) -> str:
    """On one line: each run of white space (newlines, tabs...) becomes one space, none at the
    ends."""
    return " ".join((text or "").split())


def checked_line(text: str | None, *, field: str, max_length: int, missing: str = "") -> str:
    """`text` on one line, refused (on `field`) when longer than `max_length` characters, or
    when empty if a `missing` message is given."""
    line = one_line(text)
    if missing and not line:
        raise DomainError(missing, field=field)
    if len(line) > max_length:
        raise DomainError(
            ngettext("At most %(num)s character.", "At most %(num)s characters.", max_length),
            field=field,
        )
    return line


E = TypeVar("E", bound=enum.Enum)


def one_of(kind: type[E], value: object, *, field: str, message: str) -> E:
    """`value` as a member of the enum `kind`, or refused on `field` with `message`."""
    try:
        return kind(value)
    except ValueError:
        raise DomainError(message, field=field) from None
