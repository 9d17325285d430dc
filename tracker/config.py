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
    # Signs sessions and CSRF tokens, keys the testers' draft HMACs. Required (the same on
    # every server) outside the embedded SQLite mode.
    "SECRET_KEY": "",
    # Keys being rotated out, comma-separated: they still verify (sessions, CSRF tokens,
    # drafts), never sign. Remove them once every session signed with them has expired.
    "SECRET_KEY_FALLBACKS": "",
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
    # Webhooks: seconds to wait for an endpoint's answer; 1 allows loopback and private
    # addresses and plain http (tests and development only: never in production).
    "WEBHOOKS_TIMEOUT": 10,
    "WEBHOOKS_ALLOW_PRIVATE": False,
    # Single sign-on (OpenID Connect): on when an issuer and a client id are given. The
    # redirect URI to register at the provider is BASE_URL + /login/sso/callback.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    # Comma-separated e-mail domains allowed to sign in ("example.com,example.fr"); empty: any.
    "OIDC_ALLOWED_DOMAINS": "",
    # 1: single sign-on only, the password form is hidden and password logins refused.
    "OIDC_ONLY": False,
    # The provider's name on the login button ("Entra ID", "Okta"...).
    "OIDC_PROVIDER_NAME": "",
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
    "API_RATE_LIMIT": 600,
    "API_RATE_WINDOW_SECONDS": 60,
    # Check every API response against its declared schema (the test suite turns it on).
    "API_CHECK_RESPONSES": False,
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
    # "json": one JSON object per log line (requests, worker passes); else key=value text.
    "LOG_FORMAT": "text",
    # Seconds a 503 (the database away) asks the client to wait before trying again.
    "OUTAGE_RETRY_AFTER": 5,
    # Write the client's address in the request log lines (off: personal data).
    "LOG_CLIENT_ADDRESS": False,
    # /metrics: a bearer token the scraper sends; without one, only these addresses (CIDR,
    # comma-separated) may read it.
    "METRICS_TOKEN": "",
    "METRICS_ALLOW": "127.0.0.1/32,::1/128",
    # Learning data (tracker/learning): the key of the learners' pseudonyms (an HMAC key, never
    # stored in the database; no key, no learning data), how often the worker pulls each
    # academy's LRS, and how long one request to an LRS may take.
    "LEARNER_KEY": "",
    "LEARNING_PULL_MINUTES": 60,
    "LRS_TIMEOUT": 30,
    # "Read now" on the settings page reads at most this many pages of statements within the web
    # request; the worker goes on from there at its next pass.
    "LRS_PULL_PAGES_NOW": 20,
    # Against server-side request forgery, an LRS endpoint must be https and its host resolve
    # only to public addresses: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
    # link-local (169.254/16: cloud metadata), shared and reserved ranges are refused, when the
    # address is saved (a form error) and at each pull, redirects included. On
    # (TRACKER_LRS_ALLOW_PRIVATE=1): an LRS inside the company's network, plain http, tests.
    "LRS_ALLOW_PRIVATE": False,
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


class ConfigurationError(RuntimeError):
    """The configuration cannot work: the message says which variable to set and why."""


def key_list(value: Any) -> list[str]:
    """TRACKER_SECRET_KEY_FALLBACKS as a list: comma- or space-separated, or already a list."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return [str(part) for part in value or () if part]


def require_secret_key(database_url: str, secret_key: str) -> None:
    """Outside the embedded SQLite mode several servers share the database: each one making up
    its own key would break sessions, CSRF tokens and drafts whenever the balancer switches."""
    if not secret_key and not database_url.startswith("sqlite"):
        raise ConfigurationError(
            "TRACKER_SECRET_KEY is not set. With a shared database (not the embedded SQLite "
            "mode) every server must be given the same secret key: set TRACKER_SECRET_KEY to a "
            "long random value (python3 -c 'import secrets; print(secrets.token_urlsafe(48))') "
            "on every server, and TRACKER_SECRET_KEY_FALLBACKS to the previous one(s) when "
            "rotating."
        )


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
