"""Browser tests: the app served by gunicorn on loopback, driven by Debian's Chromium (Playwright).

Fixtures
--------
``live_server`` (session scope, shared by every browser test)
    A real gunicorn server (2 workers x 4 threads) on ``http://127.0.0.1:<free port>``, on its own
    fresh database: a temporary SQLite file, or, when TRACKER_TEST_DATABASE_URL is set, a scratch
    PostgreSQL database beside it (dropped at the end). The database is migrated and holds the
    demo academy (tracker.demo, slug ``academie-digitale``), every demo person having the password
    ``live_server.password``. It is a :class:`LiveServer`:

    - ``url``: the base URL; ``live_server.url_for("/login")`` makes an absolute one.
    - ``password``: the demo password (random per run).
    - ``logins``: demo role -> e-mail: ``admin``, ``manager``, ``designer``, ``tester`` (the first
      tester), ``stakeholder``; ``people`` lists every demo person (tracker.demo.DemoPerson).
    - ``academy_slug``: the demo academy's slug; ``academy_url(path)``: ``/a/<slug>`` + path.
    - ``login(page, "manager")``: logs a page in through the real login form (a role name or an
      e-mail address), waits for the landing page and returns it.
    - ``session()``: ``with live_server.session() as s:`` a SQLAlchemy session on the server's
      database, inside an app context (services can be called), committed at the end of the
      block. Use it to arrange data the page should show, or to put back what a test changed.

``browser`` (session scope)
    The Chromium browser (Playwright sync API), launched once.

``page`` (function scope)
    A new page in a fresh browser context (no cookies, French Accept-Language, base URL set, 10 s
    default timeout), so ``page.goto("/login")`` works. Closed after the test. When the test
    fails, a screenshot and the page's HTML are saved in the test's tmp_path and the end of the
    server's log (``live_server.log_path``) is printed with the failure report.

Rules for browser tests: mark them ``@pytest.mark.browser`` (or ``pytestmark``); the server is
shared, so never rely on what another test left behind: create the data you need (your own
academy, your own users) through ``live_server.session()``, and restore anything shared you change
(for example a demo person's language). Keep each test to a few seconds.

Where Chromium is missing the tests marked ``browser`` are skipped with a message saying what to
install; nothing is started.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy.orm import Session

from bench.server import clean_environment, log_tail, serve
from tests.conftest import TEST_DATABASE_URL, scratch_postgres_database
from tracker import create_app, migrate
from tracker.db import db
from tracker.demo import DEMO_PEOPLE, DEMO_SLUG, DemoPerson, seed_demo

CHROMIUM = shutil.which("chromium")
MISSING_CHROMIUM = "Debian's chromium package is not installed: apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The network is closed: no update checks, sync or background fetches.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: a busy 2-CPU machine can take seconds for one page; passing tests never wait for it.
DEFAULT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason=MISSING_CHROMIUM)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@dataclass
class LiveServer:
    url: str
    password: str
    app: Flask = field(repr=False)
    log_path: Path | None = None
    people: tuple[DemoPerson, ...] = DEMO_PEOPLE
    academy_slug: str = DEMO_SLUG

    @property
    def logins(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for person in self.people:
            role = person.role.value if person.role else "admin"
            found.setdefault(role, person.email)
        return found

    def url_for(self, path: str) -> str:
        return self.url + path

    def academy_url(self, path: str = "/") -> str:
        return f"/a/{self.academy_slug}{path}"

    def login(self, page: Any, who: str) -> Any:
        """Log `page` in as a demo role ("manager"...) or an e-mail, through the login form."""
        email = self.logins.get(who, who)
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", self.password)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        assert "/login" not in page.url, f"{email} could not log in: {page.url}"
        return page

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the server's database (app context pushed), committed at the end."""
        with self.app.app_context():
            session = db.session
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


@contextmanager
def _fresh_database(workdir: Path, label: str = "browser") -> Iterator[str]:
    """A database of its own for one server: `label` keeps two servers' PostgreSQL databases
    apart (the same name would drop the other's)."""
    if TEST_DATABASE_URL:
        with scratch_postgres_database(TEST_DATABASE_URL, f"{label}{os.getpid()}") as url:
            yield url
    else:
        yield f"sqlite:///{workdir / 'live.sqlite3'}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not CHROMIUM:
        pytest.skip(MISSING_CHROMIUM)
    workdir = tmp_path_factory.mktemp("live_server")
    instance = workdir / "instance"
    instance.mkdir()
    password = f"demo-{secrets.token_urlsafe(12)}"
    secret_key = secrets.token_urlsafe(32)
    with _fresh_database(workdir) as database_url:
        # This process's own app on the same database: migrates and seeds it, and serves
        # LiveServer.session() afterwards.
        app = create_app(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": secret_key,
                "CHEAP_PASSWORD_HASHING": True,
                "LOG_LEVEL": "WARNING",
                "SMTP_HOST": "",
            }
        )
        try:
            with app.app_context(), force_locale("fr"):
                migrate.upgrade(db.engine)
                seed_demo(db.session, password=password)
                db.session.commit()
            env = {
                **clean_environment(),
                "TRACKER_DATABASE_URL": database_url,
                "TRACKER_SECRET_KEY": secret_key,
                "TRACKER_INSTANCE_PATH": str(instance),
                # The demo hashes are cheap ones: the server must not "upgrade" them at login.
                "TRACKER_CHEAP_PASSWORD_HASHING": "1",
                "TRACKER_LOG_LEVEL": "WARNING",
                "TRACKER_SMTP_HOST": "",
            }
            log_path = workdir / "gunicorn.log"
            with serve("app:app", env=env, log_path=log_path, workers=2, threads=4) as url:
                yield LiveServer(url=url, password=password, app=app, log_path=log_path)
        finally:
            app.extensions["database"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip(MISSING_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    live_server: LiveServer, browser: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Any]:
    # live_server first: session fixtures end in reverse order, so the browser closes its
    # keep-alive connections before gunicorn stops (which would otherwise wait for them).
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        yield page
        if request.node.stash.get(_CALL_FAILED, False):
            _keep_evidence(page, live_server, tmp_path)
    finally:
        context.close()


def _keep_evidence(page: Any, live_server: LiveServer, directory: Path) -> None:
    """What the browser showed when the test failed, and what the server logged."""
    try:
        page.screenshot(path=str(directory / "failure.png"), full_page=True)
        (directory / "failure.html").write_text(page.content())
        print(f"Page at failure ({page.url}): {directory}/failure.png, failure.html")
    except Exception as error:  # the page may be gone; the failure itself matters more
        print(f"Could not keep the page at failure: {error!r}")
    if live_server.log_path is not None:
        print("Server log (end):\n" + log_tail(live_server.log_path))
