"""French and English: complete catalogues, compiled files in step, and the language rules."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "tracker" / "translations"
LOCALES = ("fr", "en")
# gettext's usual rules: French singular for 0 and 1, English for 1 only. (CLDR now gives
# French a third form for round millions; with digits it reads like the plural, so 2 forms.)
PLURAL_RULES = {"fr": (2, "(n > 1)"), "en": (2, "(n != 1)")}
HOW_TO_FIX = (
    "\nSee README, Development: pybabel extract, update, translate both catalogues, compile."
)


def source_messages() -> Catalog:
    """Every message in the code and templates now, extracted as `pybabel extract` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, filename="babel.cfg")
    catalog = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def read_catalog(locale: str) -> Catalog:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def describe(message: Message) -> str:
    where = ", ".join(f"{file}:{line}" for file, line in message.locations[:2])
    context = f"[{message.context}] " if message.context else ""
    return f"{context}{message.id!r} ({where})"


def is_translated(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def test_extraction_finds_python_lazy_and_template_strings() -> None:
    # Guards the guard: if babel.cfg stopped matching a kind of file, the test below would
    # pass on an empty list.
    ids = {m.id for m in source_messages() if m.id}

    assert "Log in to Brique" in ids  # a template
    assert "Wrong e-mail address or password." in ids  # gettext in a service
    assert "Manager (DLM)" in ids  # lazy_gettext (_l) at import time
    assert ("%(num)s message", "%(num)s messages") in ids  # ngettext in a template


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalog = read_catalog(locale)

    problems = []
    for message in source_messages():
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None or entry.id != message.id:
            problems.append(f"missing: {describe(message)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy (to review): {describe(message)}")
        elif not is_translated(entry):
            problems.append(f"untranslated: {describe(message)}")

    assert not problems, (
        f"{len(problems)} message(s) not ready in {locale}/LC_MESSAGES/messages.po:\n  "
        + "\n  ".join(problems)
        + HOW_TO_FIX
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_source(locale: str) -> None:
    source = read_catalog(locale)
    compiled = BytesIO()
    write_mo(compiled, source)  # what `pybabel compile` would write now
    compiled.seek(0)
    expected = read_mo(compiled)
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"{mo_path} is missing.{HOW_TO_FIX}"

    with open(mo_path, "rb") as mo:
        shipped = read_mo(mo)

    def entries(catalog: Catalog) -> dict[object, object]:
        def frozen(value: object) -> object:
            return tuple(value) if isinstance(value, list | tuple) else value

        return {(m.context, frozen(m.id)): frozen(m.string) for m in catalog if m.id}

    want, have = entries(expected), entries(shipped)
    stale = sorted(str(key) for key in want.keys() ^ have.keys())
    stale += sorted(str(key) for key in want.keys() & have.keys() if want[key] != have[key])
    assert not stale, f"{mo_path.name} ({locale}) is out of date with its .po: {stale[:10]}"
    assert shipped.plural_forms == expected.plural_forms


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_and_plural_forms_agree(locale: str) -> None:
    catalog = read_catalog(locale)

    problems = [
        f"{describe(message)}: {'; '.join(str(error) for error in errors)}"
        for message, errors in catalog.check()  # babel's python_format and num_plurals checkers
        if not message.fuzzy  # not compiled, and reported as such by the completeness test
    ]

    # Templates format every message, with or without variables (Jinja's new-style gettext):
    # a translation must survive that, and may only use the placeholders of its msgid.
    for message in catalog:
        if message.fuzzy or not message.id:
            continue
        if not any(file.startswith("templates/") for file, _line in message.locations):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        allowed = set().union(*(placeholders(text) for text in ids))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in filter(None, strings):
            if not placeholders(text) <= allowed or not formats_like_a_template(text):
                problems.append(
                    f"{describe(message)}: {text!r} (unknown placeholder, or a % not written %%)"
                )

    assert not problems, "\n".join(problems)
    assert (catalog.num_plurals, catalog.plural_expr) == PLURAL_RULES[locale]


def placeholders(text: str) -> set[str]:
    return {name or kind for name, _spec, kind in PYTHON_FORMAT.findall(text) if kind != "%"}


def formats_like_a_template(text: str) -> bool:
    class AnyValue(dict):  # type: ignore[type-arg]
        def __missing__(self, _key: str) -> int:
            return 1

    try:
        text % AnyValue()
    except (KeyError, TypeError, ValueError):
        return False
    return True


# The language of a page: the person's choice, else the browser's, else French.


def page_language(response: object) -> str:
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    start = html.index('<html lang="') + len('<html lang="')
    return html[start : html.index('"', start)]


@pytest.mark.parametrize(
    ("accept_language", "expected_lang", "expected_text"),
    [
        ("fr-FR,fr;q=0.9", "fr", "Connexion à Brique"),
        ("en-GB,en;q=0.9", "en", "Log in to Brique"),
        (None, "fr", "Connexion à Brique"),  # no preference: French first
        ("de-DE,de;q=0.9", "fr", "Connexion à Brique"),  # a language we do not have
    ],
)
def test_anonymous_page_follows_the_browser_then_french(
    client, accept_language, expected_lang, expected_text
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = client.get("/login", headers=headers)

    assert response.status_code == 200
    assert page_language(response) == expected_lang
    assert expected_text in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("preference", "browser", "expected_lang", "expected_text"),
    [
        ("en", "fr", "en", "My profile"),
        ("fr", "en", "fr", "Mon profil"),
        (None, "en", "en", "My profile"),  # no preference of their own: the browser decides
    ],
)
def test_own_preference_beats_the_browser(
    client, db_session, login, preference, browser, expected_lang, expected_text
) -> None:
    user = make_user(db_session, locale=preference)
    login(user)

    response = client.get("/account", headers={"Accept-Language": browser})

    assert response.status_code == 200
    assert page_language(response) == expected_lang
    assert expected_text in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("browser", "title"), [("fr", "Page introuvable"), ("en", "Page not found")]
)
def test_error_pages_speak_the_reader_language(client, browser, title) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": browser})

    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "shown"), [("fr", "10 mars 2026"), ("en", "Mar 10, 2026")])
def test_dates_follow_the_reader_locale(
    app, client, db_session, login, world, locale, shown
) -> None:
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"
    admin = make_user(db_session, is_admin=True, locale=locale)
    world.academy.created_at = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # 10 March in Paris
    db_session.flush()
    login(admin)

    html = client.get("/academies/").get_data(as_text=True)

    assert shown in html
