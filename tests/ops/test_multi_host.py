"""Many hosts, one truth: two application servers (gunicorn, 2 workers each, each with its own
empty instance folder) and a mail/round worker per host, on one PostgreSQL database, behind a
real HAProxy (round robin, no stickiness). A scripted journey goes through the balancer; then
the database is cut under load (a TCP proxy between the hosts and PostgreSQL is stopped: the
shared PostgreSQL server itself is never touched).

PostgreSQL only (TRACKER_TEST_DATABASE_URL) and HAProxy (Debian's package, installed by .ci/run).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import http.client
import io
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bench.balancer import HAPROXY, TcpProxy, balancer
from bench.cases import PASSWORD
from bench.round_burst import BurstFacts, check_round, run_burst, seed_round
from bench.server import ROOT, clean_environment, serve, stop
from tests.conftest import TEST_DATABASE_URL, scratch_postgres_database
from tests.factories import make_brick, make_member
from tests.mail.conftest import Inbox
from tracker import create_app, migrate
from tracker.academies.models import Academy, Role, StageCategory
from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.db import db, utcnow
from tracker.feedback.models import FeedbackRound, GateSnapshot, RoundState
from tracker.mail.models import MailMessage, MailStatus
from tracker.releases.models import Release
from tracker.releases.services import record_decision

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="multi-host runs on PostgreSQL"),
    pytest.mark.skipif(
        HAPROXY is None, reason="HAProxy is not installed (apt-get install haproxy)"
    ),
]

TESTERS = 200
STAKEHOLDERS = 3
CARDS = 12
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"/r/([A-Za-z0-9_-]{20,})")


# -- A browser: its own cookies, one new connection per request (so the balancer chooses anew) --


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.served_by: list[str] = []

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        base: str | None = None,
    ) -> Answer:
        parts = urllib.parse.urlsplit(base or self.base)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
        sent = {"Accept-Language": "fr", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body, sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _eq, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in header and "1970" not in header:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        if "x-served-by" in answer.headers:
            self.served_by.append(answer.headers["x-served-by"])
        return answer

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.send("GET", path, **kwargs)

    def post_form(self, path: str, fields: list[tuple[str, str]], **kwargs: Any) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.send("POST", path, body, headers, **kwargs)

    def csrf(self, path: str, **kwargs: Any) -> str:
        page = self.get(path, **kwargs)
        match = CSRF.search(page.text)
        assert page.status == 200 and match, (path, page.status)
        return html.unescape(match.group(1))

    def log_in(self, email: str, **kwargs: Any) -> None:
        token = self.csrf("/login", **kwargs)
        answer = self.post_form(
            "/login",
            [("csrf_token", token), ("email", email), ("password", PASSWORD), ("next", "")],
            **kwargs,
        )
        assert answer.status == 303, (email, answer.status)


# -- The site: database, hosts, workers, balancer ------------------------------------------------


@dataclass
class Site:
    url: str  # the balancer
    hosts: list[str]
    app: Any  # for reading the database directly
    proxy: TcpProxy
    inbox: Inbox
    facts: BurstFacts
    slug: str
    manager: str
    stakeholders: list[str]
    release_id: int
    cards: list[tuple[int, int]]  # (brick id, number)
    stages: list[int]  # not the done column
    workers: list[subprocess.Popen[bytes]]
    worker_logs: list[Path]
    stats: dict[str, Any] = field(default_factory=dict)


def _seed(session: Any, secret: str) -> dict[str, Any]:
    facts = seed_round(session, testers=TESTERS, secret_key=secret)
    academy = session.scalar(select(Academy).where(Academy.slug == "burst"))
    manager_email = "burst.manager@brique.example"
    manager = session.scalar(select(User).where(User.email == manager_email))
    manager.password_hash = hash_password(PASSWORD)
    stakeholders = [
        make_member(
            session,
            academy,
            Role.STAKEHOLDER,
            email=f"sponsor{n}@brique.example",
            password=PASSWORD,
        ).email
        for n in range(STAKEHOLDERS)
    ]
    cards = [make_brick(session, academy, f"Carte {n}", actor=manager) for n in range(CARDS)]
    session.flush()
    stages = [s.id for s in academy.stages if s.category != StageCategory.DONE]
    round_ = session.get(FeedbackRound, facts.round_id)
    return {
        "facts": facts,
        "slug": academy.slug,
        "manager": manager_email,
        "stakeholders": stakeholders,
        "release_id": round_.release_id,
        "cards": [(c.id, c.number) for c in cards],
        "stages": [s for s in stages if s not in {c.stage_id for c in cards}] or stages,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("multihost")
    secret = secrets.token_urlsafe(32)
    with ExitStack() as stack:
        url = stack.enter_context(
            scratch_postgres_database(TEST_DATABASE_URL, f"multihost{os.getpid()}")
        )
        direct = make_url(url)
        proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432))
        proxy.start()
        stack.callback(proxy.stop)
        through_proxy = direct.set(
            host="127.0.0.1", port=proxy.port, query={"connect_timeout": "3"}
        )
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": secret,
                "CHEAP_PASSWORD_HASHING": True,
                "LOG_LEVEL": "WARNING",
                "SMTP_HOST": "",
            }
        )
        stack.callback(lambda: app.extensions["database"].engine.dispose())
        with app.app_context():
            migrate.upgrade(db.engine)
            seeded = _seed(db.session, secret)
            db.session.commit()
        inbox = Inbox()
        with socketless_port() as smtp_port:
            pass
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        stack.callback(controller.stop)

        def env(n: int) -> dict[str, str]:
            instance = workdir / f"host{n}"  # its own, empty: nothing is read from it
            metrics = workdir / f"metrics{n}"
            metrics.mkdir()
            return {
                **clean_environment(),
                "TRACKER_DATABASE_URL": through_proxy.render_as_string(hide_password=False),
                "TRACKER_SECRET_KEY": secret,
                "TRACKER_INSTANCE_PATH": str(instance),
                "TRACKER_CHEAP_PASSWORD_HASHING": "1",
                # The manager logs in from several sessions at once (both hosts, the outage
                # test): login throttling is tested elsewhere, not here.
                "TRACKER_LOGIN_DELAY_AFTER": "1000",
                "TRACKER_LOGIN_MAX_FAILURES": "1000",
                "TRACKER_SMTP_HOST": "127.0.0.1",
                "TRACKER_SMTP_PORT": str(smtp_port),
                "TRACKER_LOG_FORMAT": "json",
                "TRACKER_LOG_LEVEL": "INFO",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            }

        hosts = [
            stack.enter_context(
                serve(
                    "app:app",
                    env=env(n),
                    log_path=workdir / f"host{n}.log",
                    workers=2,
                    threads=4,
                    health_path="/readyz",
                )
            )
            for n in (1, 2)
        ]
        lb = stack.enter_context(balancer([h.removeprefix("http://") for h in hosts], workdir))
        workers, logs = [], []
        for n in (1, 2):
            log_path = workdir / f"worker{n}.log"
            handle = stack.enter_context(log_path.open("wb"))
            worker_env = env(n + 2) | {"TRACKER_BASE_URL": lb}
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "1"],
                cwd=ROOT,
                env=worker_env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            stack.callback(stop, process)
            workers.append(process)
            logs.append(log_path)
        yield Site(
            url=lb,
            hosts=hosts,
            app=app,
            proxy=proxy,
            inbox=inbox,
            workers=workers,
            worker_logs=logs,
            **seeded,
        )


class socketless_port:
    """A free loopback port number (the socket is closed on exit, before the server binds)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()


def _wait(condition: Any, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.2)):  # tries, not a clock (tests/test_suite.py)
        if condition():
            return
        time.sleep(0.2)
    if not condition():
        raise AssertionError(f"timed out waiting for {what}")


def _scalar(site: Site, statement: Any) -> Any:
    with site.app.app_context():
        value = db.session.scalar(statement)
        db.session.rollback()
        return value


def _multipart(fields: list[tuple[str, str]], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "brique" + secrets.token_hex(8)
    parts = []
    for name, value in fields:
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _import_file(template: bytes, titles: list[str]) -> bytes:
    """The import's own template with our titles in place of its examples."""
    rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig")), delimiter=";"))
    if len(rows[0]) == 1:
        rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
        delimiter = ","
    else:
        delimiter = ";"
    header, example = rows[0], rows[1]
    title_column = next(i for i, name in enumerate(header) if "tit" in name.lower())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for title in titles:
        row = list(example)
        row[title_column] = title
        writer.writerow(row)
    return out.getvalue().encode()


def _import(
    browser: Browser,
    slug: str,
    titles: list[str],
    template: bytes,
    hosts: tuple[str | None, str | None],
) -> None:
    """Dry run (on hosts[0], or the balancer), then confirm (on hosts[1], or the balancer)."""
    path = f"/a/{slug}/backlog/import"
    token = browser.csrf(path, base=hosts[0])
    body, content_type = _multipart(
        [("csrf_token", token)], "bricks.csv", _import_file(template, titles)
    )
    preview = browser.send("POST", path, body, {"Content-Type": content_type}, base=hosts[0])
    assert preview.status == 200, preview.text[:2000]
    parked = re.search(r'name="token"[^>]*value="([^"]+)"', preview.text)
    assert parked, "no confirmation form"
    csrf = CSRF.search(preview.text)
    assert csrf
    done = browser.post_form(
        f"{path}/confirm",
        [("csrf_token", html.unescape(csrf.group(1))), ("token", html.unescape(parked.group(1)))],
        base=hosts[1],
    )
    assert done.status == 303, done.text[:2000]


def _bricks_titled(site: Site, prefix: str) -> int:
    return int(_scalar(site, select(func.count(Brick.id)).where(Brick.title.like(f"{prefix}%"))))


def _moves(site: Site) -> list[dict[str, Any]]:
    """Both hosts at once, each with its own session: six cards each, and one card both want."""
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)
    contested = site.cards[-1]

    def mover(index: int, host: str) -> None:
        try:
            move_from(index, host)
        except BaseException as error:  # reported by the test
            with lock:
                results.append({"brick": None, "status": repr(error), "host": index})
            barrier.abort()

    def move_from(index: int, host: str) -> None:
        browser = Browser(host)
        browser.log_in(site.manager)
        token = browser.csrf(f"/a/{site.slug}/board")
        mine = site.cards[index : CARDS - 1 : 2]
        barrier.wait(timeout=60)
        for n, (brick_id, number) in enumerate([*mine, contested]):
            stage = site.stages[(n + index) % len(site.stages)]
            answer = browser.send(
                "POST",
                f"/a/{site.slug}/board/move",
                json.dumps({"brick": number, "version": 1, "stage": stage}).encode(),
                {
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "X-CSRFToken": token,
                },
            )
            with lock:
                results.append({"brick": brick_id, "status": answer.status, "host": index})

    threads = [threading.Thread(target=mover, args=(i, h)) for i, h in enumerate(site.hosts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _address(message: Any) -> str:
    return str(message["To"]).rsplit("<", 1)[-1].strip(" >")


def _mails_to(site: Site, addresses: set[str]) -> list[Any]:
    return [m for m in list(site.inbox.messages) if _address(m) in addresses]


def _worker_lines(site: Site) -> list[dict[str, Any]]:
    lines = []
    for path in site.worker_logs:
        for line in path.read_text(errors="replace").splitlines():
            start = line.find('{"event"')
            if start >= 0:
                with_json = line[start:]
                try:
                    lines.append(json.loads(with_json))
                except ValueError:
                    continue
    return lines


def test_the_journey_through_the_balancer_loses_and_duplicates_nothing(site: Site) -> None:
    manager = Browser(site.url)

    # 1. Log in through the balancer; every later request may land on either host.
    manager.log_in(site.manager)
    for _ in range(4):
        assert manager.get(f"/a/{site.slug}/backlog").status == 200
    assert set(manager.served_by) == {"host1", "host2"}, manager.served_by

    # 2. Import bricks, dry run then confirm: through the balancer, then across hosts on purpose
    # (the dry run on host 1, the confirmation on host 2, whose instance folder is empty).
    template = manager.get(f"/a/{site.slug}/backlog/import/template.csv").body
    _import(manager, site.slug, [f"Importée {n}" for n in range(5)], template, (None, None))
    _import(
        manager,
        site.slug,
        [f"Croisée {n}" for n in range(4)],
        template,
        (site.hosts[0], site.hosts[1]),
    )
    assert _bricks_titled(site, "Importée") == 5
    assert _bricks_titled(site, "Croisée") == 4

    # 3. Cards moved at the same moment from both hosts.
    results = _moves(site)
    assert len(results) == CARDS + 1
    assert {r["status"] for r in results} <= {200, 409, 422}, results
    contested = [r for r in results if r["brick"] == site.cards[-1][0]]
    assert sorted(r["status"] for r in contested)[0] == 200
    assert [r["status"] for r in contested].count(200) == 1, contested
    acknowledged = Counter(r["brick"] for r in results if r["status"] == 200)
    for brick_id, _number in site.cards:
        moved = _scalar(
            site,
            select(func.count(Activity.id)).where(
                Activity.brick_id == brick_id, Activity.kind == ActivityKind.MOVED
            ),
        )
        version = _scalar(site, select(Brick.version).where(Brick.id == brick_id))
        assert moved == acknowledged[brick_id] and version == 1 + acknowledged[brick_id]

    # 4. The invitations leave through the two workers, each exactly once.
    testers = {f"burst-{n}@brique.example" for n in range(TESTERS)}
    _wait(lambda: len(_mails_to(site, testers)) >= TESTERS, 180, "the invitations")
    time.sleep(2)  # a late duplicate would arrive now
    invitations = _mails_to(site, testers)
    per_person = Counter(_address(m) for m in invitations)
    assert len(invitations) == TESTERS and set(per_person.values()) == {1}
    tokens = []
    for message in invitations:
        body = message.get_body(preferencelist=("plain",)).get_content()
        found = LINK.search(body)
        assert found, body
        tokens.append(found.group(1))
    passes = [line for line in _worker_lines(site) if line.get("event") == "worker_pass"]
    senders = {line["pid"] for line in passes if line.get("mail_sent")}
    site.stats["invitation senders"] = len(senders)

    # 5. Two hundred testers submit at once, through the balancer, from the links they got.
    burst = BurstFacts(
        site.facts.round_id, tokens, site.facts.form, site.facts.answers_per_response
    )
    outcome = run_burst(site.url, burst)
    assert outcome.errors == [] and Counter(outcome.statuses) == {303: TESTERS}
    with site.app.app_context():
        counts = check_round(db.session, burst)
        db.session.rollback()
    assert counts == {
        "responses": TESTERS,
        "submitted": TESTERS,
        "answers": TESTERS * burst.answers_per_response,
        "completed": TESTERS,
    }
    site.stats["burst seconds"] = round(outcome.seconds, 2)

    # 6. The round's time is up: the two workers race to close it; it closes once.
    with site.app.app_context():
        db.session.execute(
            update(FeedbackRound)
            .where(FeedbackRound.id == burst.round_id)
            .values(closes_at=utcnow() - dt.timedelta(minutes=1))
        )
        db.session.commit()
    _wait(
        lambda: (
            _scalar(site, select(FeedbackRound.state).where(FeedbackRound.id == burst.round_id))
            == RoundState.CLOSED
        ),
        60,
        "the close",
    )
    time.sleep(3)  # both workers pass again
    closings = [
        line
        for line in _worker_lines(site)
        if line.get("event") == "worker_pass"
        and burst.round_id in (line.get("rounds_closed") or [])
    ]
    assert len(closings) == 1, closings
    gates = _scalar(
        site, select(func.count(GateSnapshot.id)).where(GateSnapshot.round_id == burst.round_id)
    )
    assert gates == 1

    # 7. Go, then the notes published through the balancer; the sponsors e-mailed once each.
    with site.app.app_context():
        release = db.session.get(Release, site.release_id)
        actor = db.session.scalar(select(User).where(User.email == site.manager))
        record_decision(db.session, release, outcome="go", actor=actor, now=utcnow())
        db.session.commit()
    edit = f"/a/{site.slug}/releases/{site.release_id}/notes/edit"
    token = manager.csrf(edit)
    published = manager.post_form(
        edit,
        [
            ("csrf_token", token),
            ("body", "# Incrément burst\n\nMerci aux testeurs."),
            ("action", "publish"),
        ],
    )
    assert published.status == 303, published.text[:2000]
    sponsors = set(site.stakeholders)
    _wait(lambda: len(_mails_to(site, sponsors)) >= STAKEHOLDERS, 60, "the notes e-mails")
    time.sleep(2)
    notes_mails = Counter(_address(m) for m in _mails_to(site, sponsors))
    assert len(notes_mails) == STAKEHOLDERS and set(notes_mails.values()) == {1}

    # 8. A sponsor reads the feed through the balancer (its link made on one host, read on any).
    sponsor = Browser(site.url)
    sponsor.log_in(site.stakeholders[0])
    token = sponsor.csrf(f"/a/{site.slug}/notes/")
    page = sponsor.post_form(f"/a/{site.slug}/notes/feed-link", [("csrf_token", token)])
    assert page.status == 200
    feed = re.search(r"/feeds/([A-Za-z0-9_-]+)\.atom", page.text)
    assert feed
    for _ in range(2):  # twice: both hosts, whichever the balancer picks
        atom = Browser(site.url).get(f"/feeds/{feed.group(1)}.atom")
        assert atom.status == 200 and "Incrément burst" in atom.text

    # Nothing left behind: every message sent, none twice.
    assert (
        _scalar(
            site,
            select(func.count(MailMessage.id)).where(
                MailMessage.status.in_((MailStatus.QUEUED, MailStatus.SENDING))
            ),
        )
        == 0
    )
    everything = Counter((str(m["To"]), str(m["Subject"])) for m in site.inbox.messages)
    assert set(everything.values()) == {1}

    # Metrics: refused through the balancer, added up over a host's workers on the host.
    assert Browser(site.url).get("/metrics").status == 404
    metrics = Browser(site.hosts[0]).get("/metrics")
    assert metrics.status == 200
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    served = sum(
        s.value for s in families["brique_http_requests"].samples if s.name.endswith("_total")
    )
    assert served > 0
    assert "brique_mail_queue_depth" in families and "brique_rounds_due_not_closed" in families


def test_a_database_outage_under_load_is_503_then_recovers_and_keeps_every_acknowledged_write(
    site: Site,
) -> None:
    reader = Browser(site.url)
    reader.log_in(site.manager)
    writer = Browser(site.url)
    writer.log_in(site.manager)
    csrf = writer.csrf(f"/a/{site.slug}/board")
    brick_id, number = site.cards[0]
    version = int(_scalar(site, select(Brick.version).where(Brick.id == brick_id)))
    moved_before = _scalar(
        site,
        select(func.count(Activity.id)).where(
            Activity.brick_id == brick_id, Activity.kind == ActivityKind.MOVED
        ),
    )
    finished = threading.Event()  # set once the database has gone and come back
    seen: list[tuple[str, Answer]] = []
    acknowledged = 0
    lock = threading.Lock()

    def read() -> None:
        while not finished.is_set():
            answer = reader.get(f"/a/{site.slug}/board", headers={"Accept-Language": "fr"})
            with lock:
                seen.append(("read", answer))
            time.sleep(0.05)

    def write() -> None:
        nonlocal version, acknowledged
        n = 0
        while not finished.is_set():
            n += 1
            stage = site.stages[n % len(site.stages)]
            answer = writer.send(
                "POST",
                f"/a/{site.slug}/board/move",
                json.dumps({"brick": number, "version": version, "stage": stage}).encode(),
                {
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "X-CSRFToken": csrf,
                },
            )
            with lock:
                seen.append(("write", answer))
            if answer.status == 200:
                done = json.loads(answer.body)
                acknowledged += 1 if done["moved"] else 0
                version = done["version"]
            elif answer.status == 409:
                version = json.loads(answer.body)["card"]["version"]
            time.sleep(0.05)

    someone = Browser(site.url)  # about to log in when the database goes
    login_csrf = someone.csrf("/login")
    threads = [threading.Thread(target=read), threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    site.proxy.stop()  # the database is gone for four seconds
    time.sleep(1)
    posted = someone.post_form(
        "/login",
        [("csrf_token", login_csrf), ("email", "tapé@brique.example"), ("password", "x" * 12)],
    )
    time.sleep(3)
    site.proxy.start()
    time.sleep(4)  # traffic goes on once the database is back
    finished.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = Counter(answer.status for _kind, answer in seen)
    assert 503 in statuses, statuses
    assert set(statuses) <= {200, 409, 503}, statuses
    for kind, answer in seen:
        assert "Traceback" not in answer.text and "psycopg" not in answer.text
        if answer.status == 503:
            assert answer.headers.get("retry-after"), (kind, answer.headers)
    html_pages = [a for kind, a in seen if kind == "read" and a.status == 503]
    assert html_pages and all("Temporairement indisponible" in a.text for a in html_pages)
    # The form posted meanwhile comes back with what was typed, ready to be sent again.
    assert posted.status == 503 and posted.headers.get("retry-after")
    assert "tapé@brique.example" in html.unescape(posted.text) and "x" * 12 not in posted.text
    # Recovered: the last answers of the run are good ones, and a new request too.
    assert seen[-1][1].status in (200, 409)
    assert reader.get(f"/a/{site.slug}/board").status == 200
    # No acknowledged write lost: every 200 is a move in the database.
    moved = _scalar(
        site,
        select(func.count(Activity.id)).where(
            Activity.brick_id == brick_id, Activity.kind == ActivityKind.MOVED
        ),
    )
    assert acknowledged > 0 and moved >= moved_before + acknowledged

    # The workers lived through it and send what is queued now.
    assert all(process.poll() is None for process in site.workers)
    with site.app.app_context():
        db.session.add(
            MailMessage(
                to_address="after.outage@brique.example",
                subject="après",
                body_text="x",
                status=MailStatus.QUEUED,
            )
        )
        db.session.commit()
    _wait(lambda: _mails_to(site, {"after.outage@brique.example"}), 30, "mail after the outage")
    failed_passes = [line for line in _worker_lines(site) if line.get("ok") is False]
    assert failed_passes, "no worker pass saw the outage"
