"""Numbers, durations, dates and quotes in the reader's language (tracker.formatting), and
Markdown turned into an e-mail's text part (tracker.markdown)."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.test_i18n import TRANSLATIONS
from tracker import formatting
from tracker.markdown import markdown_to_text

MOMENT = dt.datetime(2026, 12, 14, 18, 44, tzinfo=dt.UTC)  # 19:44 in Paris


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", ["10\u00a0%", "12,5\u00a0%", "40\u00a0%", "—"]),
        ("en", ["10%", "12.5%", "40%", "—"]),
    ],
)
def test_percent_has_the_locale_decimal_mark_and_spacing(request_context, locale, expected):
    with force_locale(locale):
        shown = [formatting.percent(v) for v in (10.0, 12.46, 40, None)]
    assert shown == expected


def test_one_duration_format_everywhere():
    assert [formatting.duration(m) for m in (45, 90, 240, 1500, None)] == [
        "45 min", "1 h 30", "4 h", "25 h", ""
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "day", "moment", "axis"),
    [
        ("fr", "14 déc. 2026", "14 déc. 2026, 19:44", "14 déc."),
        ("en", "Dec 14, 2026", "Dec 14, 2026, 7:44\u202fPM", "Dec 14"),
    ],
)
def test_one_date_style_per_context(request_context, locale, day, moment, axis):
    with force_locale(locale):
        assert formatting.day(MOMENT) == day
        # the moment begins with the same day: never "Dec 14, 2026" beside "12/4/26"
        assert formatting.moment(MOMENT) == moment
        assert formatting.axis_day(MOMENT.date()) == axis


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "Bêta — Incrément 2 “Data & Cyber”"),
        ("en", "Bêta — Incrément 2 \u2018Data & Cyber\u2019"),
    ],
)
def test_quotes_inside_a_quoted_title_become_the_inner_ones(request_context, locale, expected):
    with force_locale(locale):
        assert formatting.nested("Bêta — Incrément 2 « Data & Cyber »") == expected


def test_french_messages_never_put_de_before_a_name():
    # "de Incrément 2" needs an elision the catalogue cannot know: messages say "de la version
    # %(release)s" or put the name first.
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale="fr")
    names = ("release", "name", "academy", "round", "title", "key", "stage", "brick")
    found = [
        message.id
        for message in catalog
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if text and any(f" de %({name})s" in text or f" du %({name})s" in text for name in names)
    ]
    assert not found


def test_markdown_becomes_readable_text():
    text = markdown_to_text("# Notes\n\n## Data\n\n- **Quiz** (10 min)\n- [Cloud](https://x.test)")
    assert text == "Notes\n\nData\n\n- Quiz (10 min)\n- Cloud (https://x.test)\n"
