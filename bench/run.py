"""Benchmark Brique's pages: seed a fresh database, serve it with gunicorn, drive it, print figures.

    .venv/bin/python bench/run.py [case ...] [--duration S] [--concurrency N] [--sizes N ...]

See bench/README.md for what it prints and how to add a case (bench/cases.py).
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookies
import importlib
import os
import platform
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.cases import CASES, PASSWORD, Case, Context, Request  # noqa: E402
from bench.server import clean_environment, serve  # noqa: E402

# Cases may also live in their area's own module, bench/<area>_cases.py: register them all.
for _module in sorted(Path(__file__).resolve().parent.glob("*_cases.py")):
    importlib.import_module(f"bench.{_module.stem}")

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- An HTTP client with its own cookies (one per simulated person) ---------------------------


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float
    queries: int | None
    location: str


class Client:
    """One keep-alive connection and one cookie jar; reconnects when the server closes."""

    def __init__(self, base_url: str, index: int) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.index = index
        self.iteration = 0
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def send(self, request: Request) -> Response:
        headers = {"Accept-Language": "fr-FR,fr;q=0.9", "User-Agent": "brique-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if request.body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.update(request.headers)
        start = time.perf_counter()
        try:
            self.connection.request(request.method, request.path, request.body, headers)
            response = self.connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        seconds = time.perf_counter() - start
        for header in response.msg.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        count = response.getheader("X-Query-Count")
        return Response(
            status=response.status,
            body=body,
            seconds=seconds,
            queries=int(count) if count is not None else None,
            location=response.getheader("Location") or "",
        )

    def _keep_cookie(self, header: str) -> None:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if not morsel.value or morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def close(self) -> None:
        self.connection.close()


def csrf_token_in(body: bytes) -> str:
    match = CSRF_PATTERN.search(body.decode("utf-8", "replace"))
    return html.unescape(match.group(1)) if match else ""


def log_in(client: Client, who: str, logins: Mapping[str, str]) -> None:
    """Through the real form: GET /login for its CSRF token, POST, then load the landing page."""
    email = logins.get(who, who)
    page = client.send(Request("/login"))
    token = csrf_token_in(page.body)
    if page.status != 200 or not token:
        raise RuntimeError(f"GET /login answered {page.status} without a CSRF token")
    form = {"csrf_token": token, "email": email, "password": PASSWORD, "next": ""}
    body = urllib.parse.urlencode(form).encode()
    answer = client.send(Request("/login", method="POST", body=body))
    if answer.status != 303:
        raise RuntimeError(f"logging in as {email} answered {answer.status}, not 303")
    page = answer
    for _ in range(5):  # follow the redirects to the landing page ("/" sends on to the academy)
        target = urllib.parse.urlsplit(page.location)
        page = client.send(Request(target.path + (f"?{target.query}" if target.query else "")))
        if page.status not in (301, 302, 303, 307, 308):
            break
    if page.status != 200:
        raise RuntimeError(f"{email}'s landing page answered {page.status}")
    client.csrf_token = csrf_token_in(page.body)  # the login started a new session


# -- Driving a case -----------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # successful requests only, in s
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: int = 0
    examples: list[str] = field(default_factory=list)  # a few error descriptions

    def add_error(self, text: str) -> None:
        self.errors += 1
        if len(self.examples) < 3:
            self.examples.append(text)


def drive(clients: list[Client], build: Callable[[Client], Request], seconds: float) -> Outcome:
    """Every client sends requests one after another for `seconds`; returns what happened."""
    outcomes = [Outcome() for _ in clients]
    barrier = threading.Barrier(len(clients) + 1)

    def run(client: Client, outcome: Outcome) -> None:
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            request = build(client)
            client.iteration += 1
            try:
                response = client.send(request)
            except (OSError, http.client.HTTPException) as error:
                outcome.add_error(f"{request.method} {request.path}: {error!r}")
                time.sleep(0.01)
                continue
            if response.status != request.expect:
                outcome.add_error(f"{request.method} {request.path}: status {response.status}")
                continue
            if not request.counted:
                continue
            outcome.latencies.append(response.seconds)
            outcome.sizes.append(len(response.body))
            if response.queries is not None:
                outcome.queries.append(response.queries)

    threads = [
        threading.Thread(target=run, args=(client, outcome), daemon=True)
        for client, outcome in zip(clients, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    total = Outcome(seconds=time.perf_counter() - start)
    for outcome in outcomes:
        total.latencies += outcome.latencies
        total.queries += outcome.queries
        total.sizes += outcome.sizes
        total.errors += outcome.errors
        total.examples += outcome.examples[: 3 - len(total.examples)]
    return total


# -- Databases and seeding ----------------------------------------------------------------------


@contextmanager
def fresh_database(base_url: str, workdir: Path, label: str) -> Iterator[str]:
    """A temporary SQLite file, or a scratch PostgreSQL database beside `base_url` (dropped)."""
    if not base_url:
        yield f"sqlite:///{workdir / f'{label}.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    name = f"{base.database}_{label}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_database(url: str, case: Case, size: int | None) -> dict[str, Any]:
    """Migrate, seed the demo academy, then the case's own data; returns the facts."""
    from flask_babel import force_locale

    from tracker import create_app, migrate
    from tracker.db import db
    from tracker.demo import seed_demo

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-seed", "LOG_LEVEL": "WARNING", "SMTP_HOST": ""}
    )
    try:
        with app.app_context(), force_locale("fr"):
            migrate.upgrade(db.engine)
            academy, _people = seed_demo(db.session, password=PASSWORD)
            facts: dict[str, Any] = {"academy_slug": academy.slug, "academy_id": academy.id}
            if case.seed is not None:
                facts.update(case.seed(db.session, size) or {})
            db.session.commit()
    finally:
        app.extensions["database"].engine.dispose()
    return facts


def demo_logins() -> dict[str, str]:
    from tracker.demo import DEMO_PEOPLE

    logins: dict[str, str] = {}
    for person in DEMO_PEOPLE:
        logins.setdefault(person.role.value if person.role else "admin", person.email)
    return logins


# -- The run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    case: Case
    size: int | None


COLUMNS = (
    ("case", 22, "<"),
    ("size", 6, ">"),
    ("req/s", 8, ">"),
    ("median ms", 10, ">"),
    ("p95 ms", 8, ">"),
    ("p99 ms", 8, ">"),
    ("queries/req", 12, ">"),
    ("errors", 7, ">"),
    ("requests", 9, ">"),
    ("bytes", 7, ">"),
)


def row(values: list[str]) -> str:
    return "  ".join(
        f"{value:{align}{width}}" for value, (_, width, align) in zip(values, COLUMNS, strict=True)
    )


def figures(job: Job, outcome: Outcome) -> list[str]:
    latencies = sorted(s * 1000 for s in outcome.latencies)
    if len(latencies) >= 2:
        median = f"{statistics.median(latencies):.1f}"
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        p95, p99 = f"{cuts[94]:.1f}", f"{cuts[98]:.1f}"
    else:
        median = p95 = p99 = "-"
    if outcome.queries:
        low, high = min(outcome.queries), max(outcome.queries)
        mean = statistics.fmean(outcome.queries)
        queries = f"{mean:.1f}" if low == high else f"{mean:.1f} ({low}-{high})"
    else:
        queries = "-"
    return [
        job.case.name,
        "-" if job.size is None else str(job.size),
        f"{len(latencies) / outcome.seconds:.1f}" if outcome.seconds else "-",
        median,
        p95,
        p99,
        queries,
        str(outcome.errors),
        str(len(latencies) + outcome.errors),
        str(int(statistics.median(outcome.sizes))) if outcome.sizes else "-",
    ]


def note(text: str) -> None:
    print(f"# {text}", flush=True)


def run_job(
    job: Job,
    url: str,
    facts: Mapping[str, Any],
    args: argparse.Namespace,
    logins: Mapping[str, str],
) -> Outcome:
    clients = [Client(url, index) for index in range(args.concurrency)]
    try:
        if job.case.server == "app":
            for client in clients:
                if job.case.login_as:
                    log_in(client, job.case.login_as, logins)
                else:
                    client.csrf_token = csrf_token_in(client.send(Request("/login")).body)

        def build(client: Client) -> Request:
            return job.case.build(
                Context(
                    facts=facts,
                    size=job.size,
                    client=client.index,
                    iteration=client.iteration,
                    csrf_token=client.csrf_token,
                )
            )

        if args.warmup > 0:
            drive(clients, build, args.warmup)
        return drive(clients, build, args.duration)
    finally:
        for client in clients:
            client.close()


def start_server(
    stack: ExitStack,
    group: list[Job],
    number: int,
    workdir: Path,
    args: argparse.Namespace,
    floor_bytes: int,
) -> tuple[str, dict[str, Any]]:
    """Serve the group's database (fresh, seeded) or the floor until `stack` closes."""
    first = group[0]
    if first.case.server == "floor":
        env = {**clean_environment(), "BENCH_FLOOR_BYTES": str(floor_bytes)}
        log = workdir / "floor.log"
        return stack.enter_context(
            serve(
                "bench.floor:app", env=env, log_path=log, workers=args.workers, threads=args.threads
            )
        ), {}
    url = stack.enter_context(
        fresh_database(args.database_url, workdir, f"bench{os.getpid()}_{number}")
    )
    started = time.perf_counter()
    facts = seed_database(url, first.case, first.size)
    seed_name = first.case.seed.__name__ if first.case.seed else "demo only"
    note(f"seeded ({seed_name}, size {first.size}) in {time.perf_counter() - started:.1f} s")
    env = {
        **clean_environment(),
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKER_INSTANCE_PATH": str(workdir / "instance"),
        "TRACKER_QUERY_COUNT_HEADER": "1",
        "TRACKER_LOG_LEVEL": "WARNING",
        # The API cases measure the API (its token check and rate-limit UPDATE included), not
        # the refusals a real limit would send under this load.
        "TRACKER_API_RATE_LIMIT": "100000000",
    }
    log = workdir / f"gunicorn-{number}.log"
    base_url = stack.enter_context(
        serve("app:app", env=env, log_path=log, workers=args.workers, threads=args.threads)
    )
    return base_url, facts


def plan(args: argparse.Namespace) -> list[Job]:
    """The jobs: each case at each of --sizes, or at its own size when named `case:size`
    (`board:1000 round-results:2000`: pages of different sizes compared in one run)."""
    asked: dict[str, list[int] | None] = {}
    for name in args.cases or list(CASES):
        base, _, size = name.partition(":")
        if size and not size.isdigit():
            raise SystemExit(f"not a size: {name}")
        asked.setdefault(base, [])
        own = asked[base]
        if size and own is not None:
            own.append(int(size))
        elif not size:
            asked[base] = None  # --sizes
    unknown = [name for name in asked if name not in CASES]
    if unknown:
        raise SystemExit(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(CASES)}")
    jobs = [
        Job(CASES[name], size)
        for name, own in asked.items()
        for size in ((own or args.sizes) if CASES[name].sized else [None])
    ]
    # The floor runs last, so that it can take the size of the pages measured before it.
    return sorted(jobs, key=lambda job: job.case.server == "floor")


def main(argv: list[str] | None = None) -> int:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", nargs="*", help="cases to run (default: all; see --list); case:size for one size"
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per case")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100], help="sizes for the sized cases"
    )
    parser.add_argument(
        "--workers", type=int, default=2 * cpus + 1, help="gunicorn workers (default 2*CPUs+1)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (>1: gthread worker)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL URL: each seed gets a scratch database beside it (default: SQLite)",
    )
    parser.add_argument(
        "--floor-bytes",
        type=int,
        default=None,
        help="body size of the floor (default: the largest page measured before it, else 16384)",
    )
    args = parser.parse_args(argv)

    if args.list:
        for case in CASES.values():
            tags = [t for t in ("sized" if case.sized else "", case.login_as or "") if t]
            print(f"{case.name:<22} {case.description}" + (f" [{', '.join(tags)}]" if tags else ""))
        return 0

    jobs = plan(args)
    logins = demo_logins()
    engine = "postgresql" if args.database_url else "sqlite"
    note(
        f"Brique bench: {engine}, gunicorn {metadata.version('gunicorn')} {args.workers} workers"
        f" x {args.threads} threads, {args.concurrency} clients, {args.duration:g} s per case"
        f" after {args.warmup:g} s warm-up; {cpus} CPUs, Python {platform.python_version()}"
    )
    # Other work on the machine skews every figure: say how busy it was.
    note("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    failed = False
    largest_page = 0
    with tempfile.TemporaryDirectory(prefix="brique-bench-") as tmp:
        workdir = Path(tmp)
        instance = workdir / "instance"
        instance.mkdir()
        os.environ["TRACKER_INSTANCE_PATH"] = str(instance)  # this process's seeding apps
        groups: dict[tuple[Any, ...], list[Job]] = {}
        for job in jobs:
            key = ("floor",) if job.case.server == "floor" else ("app", job.case.seed, job.size)
            groups.setdefault(key, []).append(job)
        print(row([name for name, _, _ in COLUMNS]), flush=True)
        for number, group in enumerate(groups.values(), start=1):
            floor_bytes = args.floor_bytes or largest_page or 16384
            try:
                with ExitStack() as stack:
                    base_url, facts = start_server(stack, group, number, workdir, args, floor_bytes)
                    for job in group:
                        try:
                            outcome = run_job(job, base_url, facts, args, logins)
                        except (RuntimeError, OSError, http.client.HTTPException) as error:
                            failed = True
                            note(f"{job.case.name}: failed: {error}")
                            continue
                        if job.case.server == "app" and outcome.sizes:
                            largest_page = max(largest_page, int(statistics.median(outcome.sizes)))
                        print(row(figures(job, outcome)), flush=True)
                        for example in outcome.examples:
                            note(f"{job.case.name}: error: {example}")
            except Exception as error:  # one broken seed or server must not stop the others
                failed = True
                names = ", ".join(job.case.name for job in group)
                note(f"{names}: could not seed or serve: {type(error).__name__}: {error}")
    note("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
