"""A count meets a noun only through ngettext: "1 carte", "2 cartes", never "1 cartes".

A pattern check over every translatable message (Python and templates) and over the templates'
own text: a placeholder followed by a word is a count before a noun unless the placeholder is
known to hold something else (a name, a key, a date...) or the word is not a noun (a unit, a
preposition). A new count placeholder therefore fails here until it goes through ngettext."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_i18n import source_messages

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_THEN_WORD = re.compile(r"%\((\w+)\)[sd]\s+([^\W\d_]+)")
# Placeholders that never hold a count.
NOT_COUNTS = {
    "academy", "date", "email", "end", "field", "first", "format", "key", "last", "message",
    "name", "reason", "release", "role", "round", "sprint_name", "stage", "start", "status",
    "title", "unit", "who", "value_label", "brick", "path", "segment", "question", "when",
    "day", "time", "label", "kind", "level", "number", "old", "new_name", "state",
}  # fmt: skip
# Words after a count that are not nouns: prepositions and conjunctions, units.
NOT_NOUNS = {
    "of", "to", "and", "or", "out", "on", "by", "in", "at", "from", "is", "was", "h", "min",
    "kB", "pt", "as",
}  # fmt: skip
# In a template: a number printed just before a word, or before a translated word.
TEMPLATE_COUNT = (
    re.compile(r"\{\{[^{}]*(?:length|count|total|num\b)[^{}]*\}\}\s*(?:&nbsp;)?[^\W\d_]"),
    re.compile(r"\{\{(?![^{}]*(?:ngettext|_)\()[^{}]*\}\}\s*\{\{\s*_\(\s*['\"][^\W\d_A-Z]"),
    # a figure in a stat, then its label: "<span class=stat>{{ points }}</span> {{ _('points') }}"
    re.compile(
        r"\{\{[^{}]*(?:points|count|length|invited|completed)\b[^{}]*\}\}\s*</span>\s*"
        r"(?:·\s*)?(?:<span[^>]*>[^<]*</span>\s*)?\{\{\s*_\(\s*['\"][^\W\d_A-Z]"
    ),
)


def counts_before_nouns(message_id: str) -> list[str]:
    return [
        f"%({name})s {word}"
        for name, word in PLACEHOLDER_THEN_WORD.findall(message_id)
        if name not in NOT_COUNTS and word not in NOT_NOUNS
    ]


def test_no_message_puts_a_count_before_a_noun_without_ngettext() -> None:
    # Arrange
    catalog = source_messages()

    # Act
    found = [
        f"{message.id!r} ({message.locations[0][0]}:{message.locations[0][1]}): {', '.join(bad)}"
        for message in catalog
        if isinstance(message.id, str) and (bad := counts_before_nouns(message.id))
    ]

    # Assert
    assert not found, "Use ngettext for these counts:\n" + "\n".join(found)


def test_no_template_prints_a_number_before_a_word() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in sorted((ROOT / "templates").rglob("*.*"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(pattern.search(line) for pattern in TEMPLATE_COUNT)
    ]
    assert not found, "Use ngettext for these counts:\n" + "\n".join(found)


def test_the_check_catches_a_count_before_a_noun() -> None:
    # Guards the guard: the patterns above must see the slips the walk found.
    assert counts_before_nouns("%(count)s stakeholders will get them")
    assert counts_before_nouns("Show the whole history (%(num)s events)")
    assert not counts_before_nouns("%(name)s is now %(role)s.")
    assert not counts_before_nouns("at most %(kb)s kB")
    assert any(p.search("({{ found.items_open }} {{ _('open') }})") for p in TEMPLATE_COUNT)
    assert any(p.search("{{ rows|length }} bricks") for p in TEMPLATE_COUNT)
    stat = "<span class=\"stat\">{{ t.points|numberformat }}</span> {{ _('points') }}"
    assert any(p.search(stat) for p in TEMPLATE_COUNT)


def test_no_message_writes_a_percentage_by_hand():
    # "95 %" is French spacing in an English page: a share goes through the `percent` filter.
    found = [
        message.id
        for message in source_messages()
        for text in (message.id if isinstance(message.id, tuple) else (message.id,))
        if re.search(r"\d\s*%%", text)
    ]
    assert not found
