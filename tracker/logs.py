"""Log redaction: no bearer token (personal links, feed links, invitations, token parameters)
is ever written to a log by the application, the development server or gunicorn."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# A path whose segment after these prefixes is a bearer token (Flask routes of the app).
_TOKEN_PATHS = re.compile(
    r"(/(?:r|e|feeds|invitations|reset|password-reset)/)[^/?#\s\"']+?(\.atom)?(?=[/?#\s\"']|$)"
)
# Any query parameter whose name holds "token" (token=, reset_token=...) or "key", and the
# OpenID Connect callback's authorization code and state (/login/sso/callback?code=&state=).
_TOKEN_PARAMS = re.compile(
    r"([?&;](?:[^=&\s\"']*(?:token|key)[^=&\s\"']*|code|state|session_state)=)[^&#\s\"']*",
    re.I,
)
# Belt and braces: a long random-looking URL-safe string anywhere in a path (the shape of
# tracker.tokens.new_token), e.g. under a route added later and not listed above.
_LONG_TOKEN = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{32,}")


def redact(text: str) -> str:
    """`text` with every token-like part of a URL replaced by [redacted]."""
    text = _TOKEN_PATHS.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2) or ''}", text)
    text = _TOKEN_PARAMS.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _LONG_TOKEN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with its tokens redacted (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# The loggers that write request lines or paths: the development server (werkzeug), gunicorn's
# access and error logs, and Flask's own (an unhandled exception names the path).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def install(app_logger: logging.Logger) -> None:
    """Put the filter on the request loggers, the app's logger and the root's handlers (what
    any other logger propagates to); idempotent."""
    loggers = [logging.getLogger(name) for name in REQUEST_LOGGERS]
    targets: list[logging.Filterer] = [*loggers, app_logger, *logging.getLogger().handlers]
    for target in targets:
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(RedactTokens())
