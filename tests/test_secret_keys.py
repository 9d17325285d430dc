"""One secret key for every server, and its rotation: outside the embedded SQLite mode the app
refuses to start without TRACKER_SECRET_KEY; with TRACKER_SECRET_KEY_FALLBACKS the old keys
still verify (sessions, CSRF tokens, the testers' drafts) and only the new one signs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import sessionmaker

from tests.conftest import Client, make_test_app
from tests.factories import PASSWORD, make_user
from tracker import create_app
from tracker.config import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = "the-old-key-" + "o" * 30, "the-new-key-" + "n" * 30


def test_a_shared_database_without_a_secret_key_refuses_to_start(monkeypatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))

    with pytest.raises(ConfigurationError, match="TRACKER_SECRET_KEY is not set"):
        create_app({"DATABASE_URL": "postgresql+psycopg://brique@db/brique"})

    assert not (tmp_path / "secret_key").exists()  # no key made up on this host


def test_gunicorn_on_postgresql_without_a_key_says_why_it_stops(tmp_path) -> None:
    """What an operator sees: the process exits, and the message names the variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACKER_")} | {
        "TRACKER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
        "TRACKER_INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "TRACKER_SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_fallbacks_are_read_as_a_list(real_engine, tmp_path, apps) -> None:
    app = make_test_app(
        real_engine.url.render_as_string(hide_password=False),
        tmp_path,
        SECRET_KEY=NEW,
        SECRET_KEY_FALLBACKS=f"{OLD}, second-old",
    )
    apps.append(app)

    assert app.config["SECRET_KEY_FALLBACKS"] == [OLD, "second-old"]


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """The apps a test makes, their connections closed afterwards."""
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["database"].engine.dispose()


def _app(real_engine, tmp_path, key: str, fallbacks: str = "", made=None):  # type: ignore[no-untyped-def]
    app = make_test_app(
        real_engine.url.render_as_string(hide_password=False),
        tmp_path,
        SECRET_KEY=key,
        SECRET_KEY_FALLBACKS=fallbacks,
    )
    app.test_client_class = Client
    if made is not None:
        made.append(app)
    return app


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("brique_session")
    assert cookie is not None
    return str(cookie.value)


def _signed_by(app, key: str, cookie: str) -> bool:  # type: ignore[no-untyped-def]
    serializer = app.session_interface.get_signing_serializer(app)
    checker = URLSafeTimedSerializer(
        key,
        salt=serializer.salt,
        serializer=serializer.serializer,
        signer_kwargs=serializer.signer_kwargs,
    )
    try:
        checker.loads(cookie)
    except BadSignature:
        return False
    return True


def test_after_a_rotation_old_sessions_still_work_and_new_ones_use_the_new_key(
    real_engine, tmp_path, apps
) -> None:
    with sessionmaker(bind=real_engine, expire_on_commit=False)() as session:
        user = make_user(session)
        session.commit()
    before = _app(real_engine, tmp_path, OLD, made=apps)
    rotated = _app(real_engine, tmp_path, NEW, OLD, made=apps)
    old_only_removed = _app(real_engine, tmp_path, NEW, made=apps)

    # Logged in before the rotation; a form shown before the rotation too.
    old_client = before.test_client()
    assert (
        old_client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code
        == 303
    )
    old_csrf = old_client._csrf_token()  # signed with the old key
    old_cookie = _cookie(old_client)
    assert _signed_by(before, OLD, old_cookie)

    # After: the same cookie on a server with the new key and the old one as a fallback.
    carried = rotated.test_client()
    carried.set_cookie("brique_session", old_cookie)
    assert carried.get("/account").status_code == 200
    # The form shown before the rotation is still accepted (its CSRF token verifies).
    refused = carried.post("/language", data={"locale": "en", "csrf_token": "forged"}, csrf=False)
    assert refused.status_code == 400
    accepted = carried.post("/language", data={"locale": "en", "csrf_token": old_csrf}, csrf=False)
    assert accepted.status_code in (302, 303)

    # A new login signs with the new key only.
    new_client = rotated.test_client()
    assert (
        new_client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code
        == 303
    )
    new_cookie = _cookie(new_client)
    assert _signed_by(rotated, NEW, new_cookie)
    assert not _signed_by(rotated, OLD, new_cookie)

    # Once the old key is removed, the old cookie no longer verifies: logged out.
    gone = old_only_removed.test_client()
    gone.set_cookie("brique_session", old_cookie)
    assert gone.get("/account").status_code in (302, 303)
    kept = old_only_removed.test_client()
    kept.set_cookie("brique_session", new_cookie)
    assert kept.get("/account").status_code == 200
