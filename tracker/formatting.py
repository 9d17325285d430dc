"""Numbers, percentages, durations and dates in the reader's language, through Babel.

One style per kind of value, used by the pages, the charts and the e-mails alike: "10 %" and
"12,5 %" in French, "10%" and "12.5%" in English; "1 h 30" for a duration; "14 déc. 2026" for a
day and "14 déc. 2026, 19:44" for a moment ("Dec 14, 2026" and "Dec 14, 2026, 7:44 PM")."""

from __future__ import annotations

import datetime as dt
import re
from copy import copy
from functools import lru_cache
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import parse_pattern
from flask import Flask
from flask_babel import format_date, format_decimal, format_time, get_locale

NO_VALUE = "—"


def _locale() -> Any:
    return get_locale() or "fr"


@lru_cache(maxsize=32)
def _percent_pattern(locale: Any, places: int) -> Any:
    """The locale's percent pattern with at most `places` decimals, parsed once (a results page
    formats hundreds of shares: parsing each time was a third of its drawing)."""
    pattern = copy(parse_pattern(locale.percent_formats[None]))
    pattern.frac_prec = (0, places)
    return pattern


def percent(value: float | None, places: int = 1) -> str:
    """A share in percent (0-100) with at most `places` decimals: "12,5 %", "12.5%"."""
    if value is None:
        return NO_VALUE
    return _percent_text(_locale(), places, round(float(value), places))


@lru_cache(maxsize=4096)
def _percent_text(locale: Any, places: int, rounded: float) -> str:
    """Shares repeat (a page shows the same few hundred): each is formatted once per locale."""
    return str(_percent_pattern(locale, places).apply(rounded / 100, locale))


def signed(value: float | None) -> str:
    """A difference or an NPS, always with its sign, one decimal at most: "+12,5", "-3"."""
    if value is None:
        return NO_VALUE
    return str(format_decimal(round(float(value), 1), format="+#,##0.#;-#,##0.#"))


def one_decimal(value: float | None) -> str:
    """A mean, with exactly one decimal: "4,0", "4.0"."""
    if value is None:
        return NO_VALUE
    return str(format_decimal(round(float(value), 1), format="#,##0.0"))


def duration(minutes: int | float | None) -> str:
    """Minutes the way training catalogues write them, in every page and language:
    45 → "45 min", 90 → "1 h 30", 240 → "4 h", 1500 → "25 h"."""
    if minutes is None:
        return ""
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def day(value: dt.date | dt.datetime | None) -> str:
    """A day: "14 déc. 2026", "Dec 14, 2026" (a moment is shown as its day in the reader's zone)."""
    if value is None:
        return ""
    return str(format_date(value, "medium"))


def moment(value: dt.datetime | None) -> str:
    """A moment: the day as `day` writes it and the time without seconds, joined the locale's
    way: "14 déc. 2026, 19:44", "Dec 14, 2026, 7:44 PM"."""
    if value is None:
        return ""
    joined = str(_locale().datetime_formats["medium"])
    return joined.replace("{1}", day(value)).replace("{0}", str(format_time(value, "short")))


def axis_day(value: dt.date) -> str:
    """A day on a chart's axis, day and short month in the locale's order: "15 déc.", "Dec 15"."""
    return str(format_skeleton("MMMd", value, locale=_locale()))


def axis_month(value: dt.date, *, with_year: bool) -> str:
    """A month on a chart's axis: "déc. 2026", "Dec 2026" or only the month."""
    return str(format_skeleton("yMMM" if with_year else "MMM", value, locale=_locale()))


# The inner quotation marks of each language (CLDR's "alternate" delimiters, which Babel does not
# expose): French quotes with « », then “ ”; English with “ ”, then single curly quotes.
INNER_QUOTES = {"fr": ("\u201c", "\u201d"), "en": ("\u2018", "\u2019")}
_OUTER_QUOTES = re.compile(r"«\s*|\s*»|“|”")


def nested(text: str | None) -> str:
    """Text about to be quoted by a message ("the round “%(title)s”"): its own quotation marks
    become the inner ones of the reader's language, so that quotes never nest in the same
    marks: « Bêta — Incrément 2 “Data & Cyber” », and single curly quotes inside English ones."""
    start, end = INNER_QUOTES.get(str(_locale().language), INNER_QUOTES["en"])
    return _OUTER_QUOTES.sub(
        lambda m: start if m.group().lstrip().startswith(("«", "“")) else end, text or ""
    )


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        percent=percent,
        signed=signed,
        one_decimal=one_decimal,
        duration=duration,
        day=day,
        moment=moment,
        nested=nested,
    )
