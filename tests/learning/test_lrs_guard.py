"""The LRS endpoint against server-side request forgery (the webhooks' guard,
tracker/webhooks/addresses.py): with LRS_ALLOW_PRIVATE off, a loopback, private, link-local or
reserved address is refused when it is saved (a form error on the endpoint field) and at each
pull, redirects included."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from tests.factories import SECRET as APP_SECRET
from tests.learning.conftest import EXTENSION, KEY
from tests.learning.lrs import Lrs
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.learning import services, xapi
from tracker.learning.models import LearnerFact, LrsAuth
from tracker.webhooks import addresses

REFUSED = [
    "https://127.0.0.1/xAPI/",
    "https://10.1.2.3/xAPI/",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]:8443/xAPI/",
    "https://localhost/xAPI/",
]


def save(db_session, world, endpoint: str, *, allow_private: bool = False) -> None:
    services.update_lrs(
        db_session, world.academy, endpoint=endpoint, auth=LrsAuth.BASIC, username="u",
        secret="s", business_unit_extension=EXTENSION, now=utcnow(), allow_private=allow_private,
        app_secret_key=APP_SECRET,
    )  # fmt: skip


@pytest.fixture
def name_to_loopback(monkeypatch: pytest.MonkeyPatch) -> str:
    """A host name whose DNS answer is 127.0.0.1 (as a rebinding attacker's would be)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "lrs.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fake)
    return "https://lrs.rebind.test/xAPI/"


@pytest.mark.parametrize("endpoint", REFUSED)
def test_saving_a_private_address_is_refused_on_the_endpoint_field(db_session, world, endpoint):
    with pytest.raises(DomainError) as refused:
        save(db_session, world, endpoint)
    assert refused.value.field == "endpoint"
    assert services.read_settings(db_session, world.academy).lrs_endpoint == ""


def test_a_name_resolving_to_loopback_is_refused(db_session, world, name_to_loopback):
    with pytest.raises(DomainError) as refused:
        save(db_session, world, name_to_loopback)
    assert refused.value.field == "endpoint"


def test_plain_http_and_unknown_hosts_are_refused_without_the_flag(db_session, world):
    for endpoint in ("http://lrs.example.com/xAPI/", "https://no-such-host.invalid/xAPI/"):
        with pytest.raises(DomainError) as refused:
            save(db_session, world, endpoint)
        assert refused.value.field == "endpoint"


def test_the_flag_lets_a_private_lrs_be_saved(db_session, world):
    save(db_session, world, "http://10.1.2.3/xAPI/", allow_private=True)
    assert services.read_settings(db_session, world.academy).lrs_endpoint == "http://10.1.2.3/xAPI/"


def test_the_settings_page_names_the_field_and_keeps_what_was_typed(
    app, client, world, login, monkeypatch
):
    monkeypatch.setitem(app.config, "LRS_ALLOW_PRIVATE", False)
    login(world.manager)
    typed = "https://169.254.169.254/latest/meta-data/"
    response = client.post(
        f"/a/{world.academy.slug}/learning/",
        data={"endpoint": typed, "auth": "basic", "username": "u", "secret": "s",
              "clear_secret": "keep", "business_unit_extension": ""},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "private, loopback or reserved network" in html
    assert 'aria-invalid="true"' in html and typed in html


def test_each_pull_checks_again_and_reads_nothing(db_session, world, lrs: Lrs):
    """Saved while allowed (or resolving elsewhere then): the pull without the flag refuses it,
    records the error and stores nothing."""
    save(db_session, world, lrs.endpoint, allow_private=True)
    report = services.pull_statements(
        db_session, world.academy, key=KEY, now=utcnow(), app_secret_key=APP_SECRET
    )
    assert report.pages == 0 and report.stored == 0
    assert "refused" in report.errors[0]
    assert "refused" in services.read_settings(db_session, world.academy).last_pull_error
    count = db_session.scalar(select(func.count()).select_from(LearnerFact))
    assert count == 0


def test_a_name_resolving_to_loopback_is_refused_at_pull(db_session, world, name_to_loopback):
    connection = xapi.LrsConnection(endpoint=name_to_loopback, auth="basic", username="u",
                                    secret="s", timeout=2)  # fmt: skip
    with pytest.raises(xapi.LrsError, match="not a public address"):
        xapi.fetch_page(connection, connection.statements_url())


@pytest.fixture
def redirector() -> Iterator[str]:
    """A server on loopback that redirects every request to the cloud metadata address."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "https://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xAPI/"
    server.shutdown()
    server.server_close()


def test_a_redirect_to_a_private_address_is_not_followed(monkeypatch, redirector):
    """The first server is let through (as if public); its redirect goes through the guard."""
    asked: list[str] = []
    real = xapi.connect

    def connect(url: str, *, timeout: float, allow_private: bool):  # type: ignore[no-untyped-def]
        asked.append(url)
        first = url.startswith(redirector)
        return real(url, timeout=timeout, allow_private=allow_private or first)

    monkeypatch.setattr(xapi, "connect", connect)
    connection = xapi.LrsConnection(endpoint=redirector, auth="basic", username="u", secret="s",
                                    timeout=2)  # fmt: skip
    with pytest.raises(xapi.LrsError, match="not a public address"):
        xapi.fetch_page(connection, connection.statements_url())
    assert asked == [redirector + "statements", "https://169.254.169.254/latest/meta-data/"]
