"""The board at 1,000 bricks through HAProxy: one application host against two.

    .venv/bin/python bench/multi_host.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

One scratch PostgreSQL database seeded once (the demo academy, then bench.board_cases'
seed_board at --size bricks); then, for 1 and 2 hosts (gunicorn, --workers each, their own
instance folders), HAProxy in front (bench/balancer.py: round robin, no stickiness) and
--concurrency clients, each logged in as the manager, requesting the whole board
(`/a/<slug>/board?sprint=all`) through the balancer for --duration seconds after a warm-up.
Prints one line of figures per layout. On one machine both hosts share its cores: the figures
show what the balancer and a second host cost or bring here, not a cluster's capacity.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.balancer import balancer  # noqa: E402
from bench.cases import CASES, Context  # noqa: E402
from bench.run import (  # noqa: E402
    COLUMNS,
    Client,
    Job,
    demo_logins,
    drive,
    figures,
    fresh_database,
    log_in,
    note,
    row,
    seed_database,
)
from bench.server import clean_environment, serve  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (scratch db)")
    parser.add_argument("--size", type=int, default=1000, help="bricks on the board")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args(argv)
    case = CASES["board"]
    job = Job(case, args.size)
    logins = demo_logins()
    with tempfile.TemporaryDirectory(prefix="brique-multihost-") as tmp, ExitStack() as outer:
        workdir = Path(tmp)
        url = outer.enter_context(fresh_database(args.database_url, workdir, "multihost"))
        facts = seed_database(url, case, args.size)
        note(f"board of {args.size} bricks; {args.workers} workers per host; "
             f"{args.concurrency} clients for {args.duration:.0f} s")  # fmt: skip
        print(row([name for name, _width, _align in COLUMNS]) + "  layout", flush=True)
        secret = secrets.token_urlsafe(32)
        for count in args.hosts:
            with ExitStack() as stack:
                hosts = []
                for n in range(count):
                    env = {
                        **clean_environment(),
                        "TRACKER_DATABASE_URL": url,
                        "TRACKER_SECRET_KEY": secret,
                        "TRACKER_INSTANCE_PATH": str(workdir / f"host{count}-{n}"),
                        "TRACKER_QUERY_COUNT_HEADER": "1",
                        "TRACKER_LOG_LEVEL": "WARNING",
                    }
                    hosts.append(stack.enter_context(serve(
                        "app:app", env=env, log_path=workdir / f"host{count}-{n}.log",
                        workers=args.workers, threads=args.threads, health_path="/readyz",
                    )))  # fmt: skip
                lb_dir = workdir / f"lb{count}"
                lb_dir.mkdir()
                lb = stack.enter_context(
                    balancer([h.removeprefix("http://") for h in hosts], lb_dir)
                )
                clients = [Client(lb, index) for index in range(args.concurrency)]
                for client in clients:
                    log_in(client, case.login_as or "manager", logins)

                def build(client: Client) -> object:
                    return case.build(Context(facts=facts, size=args.size, client=client.index,
                                              iteration=client.iteration,
                                              csrf_token=client.csrf_token))  # fmt: skip

                if args.warmup > 0:
                    drive(clients, build, args.warmup)  # type: ignore[arg-type]
                outcome = drive(clients, build, args.duration)  # type: ignore[arg-type]
                for client in clients:
                    client.close()
                print(row(figures(job, outcome)) + f"  {count} host(s)", flush=True)
                for example in outcome.examples:
                    note(f"error: {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
