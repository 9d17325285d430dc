"""Configuration: defaults, then the environment (TRACKER_*), then an explicit mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Empty means "a SQLite file in the instance folder".
    "DATABASE_URL": "",
    "SECRET_KEY": "",
    # Public address used in e-mails and feeds, e.g. https://brique.example.com
    "BASE_URL": "http://127.0.0.1:5000",
    # E-mail. No SMTP host means messages stay in the in-app outbox (development, demo).
    "MAIL_FROM": "Brique <no-reply@localhost>",
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    "SMTP_TIMEOUT": 30,
    # Cookies: Secure is on when the public address is HTTPS, unless set explicitly.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_LIFETIME_DAYS": 14,
    # A session unused for this long is over (0: no idle limit).
    "SESSION_IDLE_MINUTES": 60,
    # Requests larger than this are refused with 413 (imports of a few thousand rows fit).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # The largest file attached to a brick (below MAX_CONTENT_LENGTH, which bounds the request).
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # Login throttling: failures per account and source address within the window (then 429),
    # failures per account from all sources, and a delay between attempts that doubles from
    # LOGIN_DELAY_AFTER failures on, up to LOGIN_DELAY_MAX_SECONDS.
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_WINDOW_SECONDS": 300,
    "LOGIN_ACCOUNT_MAX_FAILURES": 100,
    "LOGIN_DELAY_AFTER": 3,
    "LOGIN_DELAY_MAX_SECONDS": 30,
    "INVITATION_DAYS": 14,
    # How long a password-reset link works.
    "PASSWORD_RESET_MINUTES": 60,
    "DEFAULT_TIMEZONE": "Europe/Paris",
    # Behind a reverse proxy that sets X-Forwarded-For/-Proto: number of proxies to trust.
    "PROXY_FIX": 0,
    # Benchmarks and tests only: count SQL statements per request in a response header.
    "QUERY_COUNT_HEADER": False,
    "LOG_LEVEL": "INFO",
    # Tests only: argon2id with tiny costs.
    "CHEAP_PASSWORD_HASHING": False,
}

_BOOLEAN_TRUE = {"1", "true", "yes", "on"}


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool) or default is None:
        return value.strip().lower() in _BOOLEAN_TRUE
    if isinstance(default, int):
        return int(value)
    return value


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read every known key from TRACKER_<KEY> variables."""
    found: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = environ.get(f"TRACKER_{key}")
        if raw is not None and raw != "":
            try:
                found[key] = _coerce(raw, default)
            except ValueError:
                raise ValueError(f"TRACKER_{key} must be a whole number, not {raw!r}") from None
    return found


def load_or_create_secret(instance_path: Path) -> str:
    """A random key generated once per installation and kept (0600) in the instance folder.

    Written to a temporary file and linked into place, so that several worker processes
    starting together all end up reading the same complete key.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        tmp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            tmp.unlink()
    return path.read_text().strip()


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'brique.sqlite3'}"
