"""Logs never hold a token: the development server's request lines, gunicorn's access log and
the app's own messages have personal links, feed links and token parameters redacted."""

from __future__ import annotations

import contextlib
import logging
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from tracker.logs import redact
from tracker.tokens import new_token

TOKEN = "Zx9_" + new_token()[4:]  # the shape of a real one, with an upper case and a digit


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'"GET /r/{TOKEN} HTTP/1.1" 200 -', '"GET /r/[redacted] HTTP/1.1" 200 -'),
        (f"POST /r/{TOKEN}/items/12/edit", "POST /r/[redacted]/items/12/edit"),
        (f"GET /feeds/{TOKEN}.atom", "GET /feeds/[redacted].atom"),
        (f"GET /invitations/{TOKEN}?next=/a/x", "GET /invitations/[redacted]?next=/a/x"),
        (f"GET /x?next=/a&reset_token={TOKEN}&q=1", "GET /x?next=/a&reset_token=[redacted]&q=1"),
        (f"GET /somewhere/{TOKEN}/new", "GET /somewhere/[redacted]/new"),
        ("GET /a/academie-finance-durable/board", "GET /a/academie-finance-durable/board"),
        ("GET /static/app.js?v=3", "GET /static/app.js?v=3"),
        (
            "GET /login/sso/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
            "GET /login/sso/callback?code=[redacted]&state=[redacted]",
        ),
        ("GET /a/x/backlog?stage=3&sort=code", "GET /a/x/backlog?stage=3&sort=code"),
    ],
)  # fmt: skip
def test_redact(line, expected):
    assert redact(line) == expected


def test_the_development_server_log_redacts_links_and_token_parameters(app, caplog):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (f"/r/{TOKEN}", f"/feeds/{TOKEN}.atom", f"/login?token={TOKEN}"):
            # 404 for unknown links: the request line is logged all the same.
            with (
                caplog.at_level(logging.INFO, logger="werkzeug"),
                contextlib.suppress(urllib.error.HTTPError),
            ):
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=10)
    finally:
        server.shutdown()
        thread.join(5)
        # The requests above used the app's own pool (tests otherwise bind one connection).
        app.extensions["database"].engine.dispose()

    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 3
    assert all("[redacted]" in line for line in lines)
    assert not any(TOKEN in line for line in lines)


def test_gunicorn_access_lines_and_app_messages_are_redacted(app, caplog):
    with caplog.at_level(logging.INFO):
        # gunicorn's access logger formats its line with a dict of atoms.
        logging.getLogger("gunicorn.access").info(
            '%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": f"GET /r/{TOKEN} HTTP/1.0", "s": "200"}
        )
        app.logger.error("Exception on %s [GET]", f"/r/{TOKEN}/items/new")

    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        '10.0.0.1 "GET /r/[redacted] HTTP/1.0" 200',
        "Exception on /r/[redacted]/items/new [GET]",
    ]
