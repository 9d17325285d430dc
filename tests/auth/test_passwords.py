"""The password policy (length, block list, no composition rules) and the argon2id hashes."""

from __future__ import annotations

import pytest

from tracker.auth.passwords import hash_password, password_problems, verify_password

EMAIL = "jeanne.dupont-martin@example.com"
NAME = "Jeanne Dupont"


@pytest.mark.parametrize("password", ["", "short", "eleven char"])
def test_too_short_is_refused(app, password):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems(password) == ["Use at least 12 characters."]


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # on the list of common passwords
        "Password1234!",  # the same, whatever the case and trailing digits or symbols
        "iloveyou2024!!",
        "azertyuiop123",
        "motdepasse2024",
        "aaaaaaaaaaaa",  # one or two characters repeated
        "abababababab",
        "123456789012",  # a plain sequence
        "987654321098",
        "abcdefghijklmn",
    ],
)
def test_common_passwords_are_refused(app, password):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems(password) == [
            "This password is too common. Choose a less guessable one."
        ]


@pytest.mark.parametrize("password", [EMAIL, EMAIL.upper(), "jeanne.dupont-martin"])
def test_the_email_address_is_refused_as_password(app, password):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems(password, email=EMAIL, name=NAME) == [
            "Do not use your e-mail address as password."
        ]


def test_the_name_is_refused_as_password(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems("jeanne  dupont", email=EMAIL, name=NAME + " ") == [
            "Do not use your name as password."
        ]


@pytest.mark.parametrize(
    "password",
    [
        "violet tram under the bridge",  # a passphrase, no digits, no capitals: fine
        "le chat dort sur le radiateur",
        "twelve chars",  # exactly 12
        "1234 Rue des Lilas, Nantes",
        "Ünïcødé pässwörd ☕",
    ],
)
def test_long_passphrases_are_accepted_without_composition_rules(app, password):
    with app.test_request_context():
        assert password_problems(password, email=EMAIL, name=NAME) == []


def test_very_long_passwords_are_refused(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert password_problems("x y " * 100) == ["Use at most 256 characters."]


def test_hashes_are_argon2id_salted_and_verified():
    first, second = (
        hash_password("violet tram under the bridge"),
        hash_password("violet tram under the bridge"),
    )

    assert first.startswith("$argon2id$")
    assert first != second  # salted
    assert verify_password(first, "violet tram under the bridge")
    assert not verify_password(first, "violet tram under the bridgE")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")
