"""A burst of beta testers submitting a feedback round at the same moment, against gunicorn.

    .venv/bin/python bench/round_burst.py                       # 200 testers, SQLite
    .venv/bin/python bench/round_burst.py --testers 200 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Each simulated tester opens their personal link (GET /r/<token>: the form and a CSRF token),
waits for everybody, then submits a complete questionnaire; with --double-click each tester
sends the same submission twice at once, as an impatient double click does. Afterwards the
database is read: every tester must have exactly one submitted response with all its answers,
and no request may have failed. Prints one line of figures.

The test suite runs the same burst with 50 testers (tests/feedback/test_concurrency.py, marked
slow); `bench/cases.py` has the sustained version (`round-submit`) for bench/run.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.server import clean_environment, serve  # noqa: E402

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BRICKS = 3


@dataclass(frozen=True)
class BurstFacts:
    round_id: int
    tokens: list[str]  # one personal link per tester
    form: list[tuple[str, str]]  # a complete submission (field, value) pairs
    answers_per_response: int


def seed_round(session: Session, *, testers: int, secret_key: str) -> BurstFacts:
    """An academy, a release of 3 bricks, an open round (default questionnaire + one per-brick
    rating), `testers` testers bulk-inserted and invited. Flushes; the caller commits."""
    from flask_babel import force_locale

    from tracker.academies.models import Membership, Role
    from tracker.academies.services import add_member, create_academy
    from tracker.auth.models import User
    from tracker.backlog.models import BrickFormat
    from tracker.backlog.services import create_brick
    from tracker.db import utcnow
    from tracker.feedback.invitations import invite_testers
    from tracker.feedback.links import issue_for_mail
    from tracker.feedback.models import QuestionKind, RoundInvitation, TesterProfile
    from tracker.feedback.questionnaire import QuestionInput, add_question, slots_of
    from tracker.feedback.rounds import create_round, open_round
    from tracker.releases.services import create_release

    now = utcnow()
    manager = User(email="burst.manager@brique.example", display_name="Burst Manager",
                   locale="fr", is_active_account=True)  # fmt: skip
    session.add(manager)
    session.flush()
    academy = create_academy(session, name="Burst", slug="burst", key_prefix="BRST",
                             default_locale="fr", actor=manager)  # fmt: skip
    add_member(session, academy, manager, Role.MANAGER)
    release = create_release(session, academy, name="Incrément burst", actor=manager, now=utcnow())
    bricks = [
        create_brick(
            session,
            academy,
            actor=manager,
            title=f"Module {n + 1}",
            format=BrickFormat.VIDEO,
            release_id=release.id,
            now=utcnow(),
        )
        for n in range(BRICKS)
    ]
    round_ = create_round(
        session, academy, release_id=release.id, title="Bêta burst",
        closes_at=now + dt.timedelta(days=7), actor=manager, now=now,
    )  # fmt: skip
    add_question(
        session, round_,
        QuestionInput(QuestionKind.RATING, "Ce module est-il clair ?", required=True,
                      per_brick=True),
    )  # fmt: skip
    open_round(session, round_, actor=manager, now=now)

    session.execute(
        insert(User),
        [
            {"email": f"burst-{n}@brique.example", "display_name": f"Testeur {n}",
             "password_hash": None, "locale": "fr", "is_admin": False,
             "is_active_account": True, "created_at": now}
            for n in range(testers)
        ],
    )  # fmt: skip
    ids = list(session.scalars(
        select(User.id).where(User.email.like("burst-%@brique.example")).order_by(User.id)
    ))  # fmt: skip
    session.execute(
        insert(Membership),
        [{"academy_id": academy.id, "user_id": i, "role": Role.TESTER, "created_at": now}
         for i in ids],
    )  # fmt: skip
    session.execute(
        insert(TesterProfile),
        [{"academy_id": academy.id, "user_id": i, "business_unit": ["Finance", "IT", "RH"][n % 3],
          "job_family": "", "site": "Paris", "language": "fr", "active": True, "created_at": now}
         for n, i in enumerate(ids)],
    )  # fmt: skip
    with force_locale("fr"):
        invite_testers(session, round_, ids, base_url="http://burst", now=now)
    session.flush()
    # The links the sender would make when the invitations leave.
    invitation_ids = session.scalars(
        select(RoundInvitation.id).where(RoundInvitation.round_id == round_.id)
        .order_by(RoundInvitation.user_id)
    ).all()  # fmt: skip
    tokens = [issue_for_mail(session, i, now) or "" for i in invitation_ids]

    form: list[tuple[str, str]] = []
    for slot in slots_of(list(round_.questions), bricks):
        kind = slot.question.kind
        value = {
            QuestionKind.RATING: "4",
            QuestionKind.NPS: "9",
            QuestionKind.YES_NO: "1",
            QuestionKind.TEXT: "Plus d'exemples, s'il vous plaît.",
        }.get(kind) or slot.question.choices[0]
        form.append((slot.name, value))
    return BurstFacts(
        round_id=round_.id,
        tokens=tokens,
        form=form,
        answers_per_response=len(form),
    )


def check_round(session: Session, facts: BurstFacts) -> dict[str, int]:
    """What the database holds for the round after the burst."""
    from tracker.feedback.models import Answer, Response, ResponseState, RoundInvitation

    responses = session.scalar(
        select(func.count(Response.id)).where(Response.round_id == facts.round_id)
    )
    submitted = session.scalar(
        select(func.count(Response.id)).where(
            Response.round_id == facts.round_id, Response.state == ResponseState.SUBMITTED
        )
    )
    answers = session.scalar(
        select(func.count(Answer.id))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == facts.round_id)
    )
    completed = session.scalar(
        select(func.count(RoundInvitation.completed_at)).where(
            RoundInvitation.round_id == facts.round_id
        )
    )
    return {
        "responses": int(responses or 0),
        "submitted": int(submitted or 0),
        "answers": int(answers or 0),
        "completed": int(completed or 0),
    }


# -- The clients ------------------------------------------------------------------------------


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # of the submissions, in s
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # from the start signal to the last answer
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, latency: float) -> None:
        with self.lock:
            self.statuses.append(status)
            self.latencies.append(latency)

    def fail(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _request(
    base_url: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes, list[str]]:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.read(), response.msg.get_all("Set-Cookie") or []
    finally:
        connection.close()


def run_burst(base_url: str, facts: BurstFacts, *, double_click: bool = False) -> Outcome:
    """Every tester loads their form, then all submit at once (twice each on double_click)."""
    outcome = Outcome()
    senders = len(facts.tokens) * (2 if double_click else 1)
    start = threading.Barrier(senders + 1)
    prepared: dict[int, tuple[str, bytes, dict[str, str]]] = {}

    def prepare(index: int, token: str) -> None:
        path = f"/r/{token}"
        status, body, cookies = _request(base_url, "GET", path, None, {"Accept-Language": "fr"})
        match = CSRF_PATTERN.search(body.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"GET {path} answered {status} without a form")
        cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
        form = [("csrf_token", html.unescape(match.group(1))), *facts.form, ("action", "submit")]
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        prepared[index] = (path, urllib.parse.urlencode(form).encode(), headers)

    def submit(index: int) -> None:
        path, body, headers = prepared[index]
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        began = time.perf_counter()
        try:
            status, _body, _cookies = _request(base_url, "POST", path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            outcome.fail(f"POST {path}: {error!r}")
            return
        outcome.record(status, time.perf_counter() - began)
        if status != 303:
            outcome.fail(f"POST {path}: status {status}")

    _in_threads([lambda i=i, t=t: prepare(i, t) for i, t in enumerate(facts.tokens)], width=16)
    threads = [
        threading.Thread(target=submit, args=(index,), daemon=True)
        for index in range(len(facts.tokens))
        for _copy in range(2 if double_click else 1)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - began
    return outcome


def _in_threads(jobs: list[Callable[[], None]], *, width: int) -> None:
    errors: list[BaseException] = []
    lock = threading.Lock()
    queue = list(jobs)

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            try:
                job()
            except BaseException as error:  # reported below, in this thread
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} testers could not open their form: {errors[0]}")


def figures(outcome: Outcome) -> str:
    latencies = sorted(s * 1000 for s in outcome.latencies)
    if len(latencies) >= 2:
        median = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=100, method="inclusive")[94]
        spread = f"median {median:.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms"
    else:
        spread = "-"
    return (
        f"{len(outcome.statuses)} submissions in {outcome.seconds:.2f} s"
        f" ({len(outcome.statuses) / outcome.seconds:.0f}/s); {spread};"
        f" errors {len(outcome.errors)}"
    )


# -- As a script ------------------------------------------------------------------------------


@contextmanager
def served_round(
    database_url: str,
    workdir: Path,
    *,
    testers: int,
    workers: int,
    threads: int,
) -> Iterator[tuple[str, BurstFacts, Callable[[], dict[str, int]]]]:
    """Migrate and seed `database_url`, serve it; yields (base URL, facts, check())."""
    import secrets as random_secrets

    from flask_babel import force_locale

    from tracker import create_app, migrate
    from tracker.db import db

    secret_key = random_secrets.token_urlsafe(32)
    instance = workdir / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "LOG_LEVEL": "WARNING",
         "SMTP_HOST": "", "CHEAP_PASSWORD_HASHING": True}
    )  # fmt: skip
    try:
        with app.app_context(), force_locale("fr"):
            migrate.upgrade(db.engine)
            facts = seed_round(db.session, testers=testers, secret_key=secret_key)
            db.session.commit()

        def check() -> dict[str, int]:
            with app.app_context():
                try:
                    return check_round(db.session, facts)
                finally:
                    db.session.rollback()

        env = {
            **clean_environment(),
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_SECRET_KEY": secret_key,
            "TRACKER_INSTANCE_PATH": str(instance),
            "TRACKER_LOG_LEVEL": "WARNING",
            "TRACKER_SMTP_HOST": "",
        }
        log = workdir / "gunicorn.log"
        with serve("app:app", env=env, log_path=log, workers=workers, threads=threads) as url:
            yield url, facts, check
    finally:
        app.extensions["database"].engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from bench.run import fresh_database

    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testers", type=int, default=200)
    parser.add_argument("--double-click", action="store_true", help="each tester submits twice")
    parser.add_argument("--workers", type=int, default=2 * cpus + 1)
    parser.add_argument("--threads", type=int, default=4, help="per worker (gthread)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server (default: SQLite)")
    args = parser.parse_args(argv)

    engine = "postgresql" if args.database_url else "sqlite"
    print(
        f"# round burst: {engine}, {args.testers} testers"
        f"{' (double click)' if args.double_click else ''}, gunicorn {args.workers} workers"
        f" x {args.threads} threads, {cpus} CPUs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="brique-burst-") as tmp:
        workdir = Path(tmp)
        os.environ["TRACKER_INSTANCE_PATH"] = str(workdir / "instance")
        with fresh_database(args.database_url, workdir, f"burst{os.getpid()}") as url:
            seeded = time.perf_counter()
            with served_round(
                url, workdir, testers=args.testers, workers=args.workers, threads=args.threads
            ) as (base_url, facts, check):
                print(f"# seeded and served in {time.perf_counter() - seeded:.1f} s", flush=True)
                outcome = run_burst(base_url, facts, double_click=args.double_click)
                stored = check()
    expected = {
        "responses": args.testers,
        "submitted": args.testers,
        "answers": args.testers * facts.answers_per_response,
        "completed": args.testers,
    }
    print(figures(outcome))
    print(f"stored: {stored} (expected {expected})")
    for error in outcome.errors[:5]:
        print(f"# error: {error}")
    ok = stored == expected and not outcome.errors
    print("OK: every response stored exactly once" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
