"""Configuration: TRACKER_* environment variables; the secret key kept in the instance folder."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from tracker import config, create_app
from tracker.mail.services import SmtpSettings


def test_environment_variables_are_read_and_typed():
    found = config.from_environment(
        {
            "TRACKER_DATABASE_URL": "postgresql+psycopg://brique@db/brique",
            "TRACKER_SECRET_KEY": "from-the-environment",
            "TRACKER_BASE_URL": "https://brique.example.com",
            "TRACKER_SMTP_HOST": "smtp.example.com",
            "TRACKER_SMTP_PORT": "587",
            "TRACKER_SMTP_STARTTLS": "yes",
            "TRACKER_SMTP_SSL": "0",
            "TRACKER_SESSION_COOKIE_SECURE": "false",
            "TRACKER_LOGIN_MAX_FAILURES": "5",
            "TRACKER_MAX_CONTENT_LENGTH": "1048576",
            "TRACKER_PROXY_FIX": "1",
            "TRACKER_UNKNOWN_THING": "ignored",
            "SMTP_HOST": "without the prefix: ignored",
            "TRACKER_MAIL_FROM": "",  # empty: the default stays
        }
    )

    assert found == {
        "DATABASE_URL": "postgresql+psycopg://brique@db/brique",
        "SECRET_KEY": "from-the-environment",
        "BASE_URL": "https://brique.example.com",
        "SMTP_HOST": "smtp.example.com",
        "SMTP_PORT": 587,
        "SMTP_STARTTLS": True,
        "SMTP_SSL": False,
        "SESSION_COOKIE_SECURE": False,
        "LOGIN_MAX_FAILURES": 5,
        "MAX_CONTENT_LENGTH": 1048576,
        "PROXY_FIX": 1,
    }


def test_every_documented_variable_is_a_known_setting():
    readme = (config.__file__.rsplit("/tracker/", 1)[0]) + "/README.md"
    with open(readme, encoding="utf-8") as handle:
        text = handle.read()
    for key in config.DEFAULTS:
        if key in ("CHEAP_PASSWORD_HASHING", "QUERY_COUNT_HEADER"):
            continue  # tests and benchmarks only
        assert f"TRACKER_{key}" in text, f"TRACKER_{key} is not documented in the README"


def test_a_malformed_number_names_the_variable():
    with pytest.raises(ValueError, match="TRACKER_SMTP_PORT"):
        config.from_environment({"TRACKER_SMTP_PORT": "twenty-five"})


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """No TRACKER_* variable but the instance folder, as on a fresh machine."""
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    return instance


def make_app(**overrides):  # type: ignore[no-untyped-def]
    app = create_app({"CHEAP_PASSWORD_HASHING": True, "LOG_LEVEL": "WARNING", **overrides})
    app.extensions["database"].engine.dispose()
    return app


def test_the_app_reads_its_settings_from_the_environment(bare_environment, monkeypatch):
    monkeypatch.setenv("TRACKER_BASE_URL", "https://brique.example.com/")
    monkeypatch.setenv("TRACKER_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("TRACKER_SMTP_PORT", "2525")
    monkeypatch.setenv("TRACKER_MAIL_FROM", "Academy <academy@example.com>")
    monkeypatch.setenv("TRACKER_SESSION_LIFETIME_DAYS", "2")

    app = make_app()

    assert app.config["BASE_URL"] == "https://brique.example.com"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.permanent_session_lifetime.total_seconds() == 2 * 86400
    smtp = SmtpSettings.from_config(app.config)
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.sender) == (
        "smtp.example.com",
        2525,
        "Academy <academy@example.com>",
    )


def test_explicit_settings_win_over_the_environment(bare_environment, monkeypatch):
    monkeypatch.setenv("TRACKER_LOGIN_MAX_FAILURES", "3")

    app = make_app(LOGIN_MAX_FAILURES=7)

    assert app.config["LOGIN_MAX_FAILURES"] == 7


def test_without_a_database_url_sqlite_lives_in_the_instance_folder(bare_environment):
    app = make_app()

    assert app.config["DATABASE_URL"] == f"sqlite:///{bare_environment / 'brique.sqlite3'}"
    assert SmtpSettings.from_config(app.config) is None  # no SMTP: the outbox


def test_the_secret_key_is_generated_once_private_and_reused(bare_environment):
    first = make_app()

    key_file = bare_environment / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 40
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    second = make_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert [p.name for p in bare_environment.iterdir() if p.name.startswith(".secret")] == []


def test_a_secret_key_from_the_environment_is_used_and_nothing_written(
    bare_environment, monkeypatch
):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "shared-by-every-server")
    monkeypatch.setenv("TRACKER_DATABASE_URL", "sqlite://")

    app = make_app()

    assert app.config["SECRET_KEY"] == "shared-by-every-server"
    assert not (bare_environment / "secret_key").exists()


def test_workers_starting_together_share_one_key(tmp_path):
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: config.load_or_create_secret(tmp_path), range(16)))

    assert len(keys) == 1
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
