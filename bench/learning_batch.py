"""One-shot bench of the learning data's batch work: pulling N statements from a real LRS
(Ralph on loopback, as in tests/learning) and importing an N-row LMS export, each timed, with
the process's peak memory after each.

    .venv/bin/python bench/learning_batch.py [--statements 100000] [--rows 100000]
                                             [--page-size 5000] [--database-url URL]

The LRS's file is written directly rather than POSTed: Ralph's file-system backend reads its
whole file for every POST (to refuse ids it already has) and every page, so posting 100,000
statements one batch at a time would measure Ralph, not Brique. The pull itself goes through
Ralph's xAPI API (basic auth, `since`, `more` pages of --page-size statements).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from tests.factories import csv_bytes  # noqa: E402
from tests.learning.lrs import HOME_PAGE, VERB, running_ralph  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.academies.models import Academy  # noqa: E402
from tracker.backlog.services import create_brick  # noqa: E402
from tracker.db import db, utcnow  # noqa: E402
from tracker.demo import DEMO_SLUG, seed_demo  # noqa: E402
from tracker.learning import lms_import, services  # noqa: E402
from tracker.learning.models import LearnerFact, LrsAuth  # noqa: E402
from tracker.migrate import upgrade  # noqa: E402

KEY = "bench-learner-key"
EXTENSION = "https://brique.test/xapi/business-unit"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_statements(path: Path, count: int, iris: list[str]) -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for n in range(count):
            moment = (start + dt.timedelta(seconds=n)).isoformat()
            verb = "passed" if n % 3 == 0 else "launched"
            statement = {
                "id": str(uuid.uuid4()),
                "actor": {"objectType": "Agent",
                          "account": {"homePage": HOME_PAGE, "name": f"learner-{n // 2}"}},
                "verb": {"id": VERB + verb},
                "object": {"objectType": "Activity", "id": iris[n % len(iris)]},
                "context": {"extensions": {EXTENSION: f"BU {n % 9}"}},
                "timestamp": moment,
                "stored": moment,
                "authority": {"objectType": "Agent",
                              "account": {"homePage": HOME_PAGE, "name": "lms"}},
            }  # fmt: skip
            if verb == "passed":
                statement["result"] = {"score": {"scaled": (n % 100) / 100}, "duration": "PT20M"}
            handle.write(json.dumps(statement) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LEARNER_KEY": KEY,
                          "LOG_LEVEL": "WARNING"})  # fmt: skip
        with app.app_context():
            upgrade(db.engine)
            session = db.session
            seed_demo(session, password="bench-password-not-secret")
            academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
            iris = []
            for n in range(3):
                brick = create_brick(session, academy, actor=None, title=f"LRS module {n}",
                                     format="mooc", now=utcnow(), learner_minutes=30)  # fmt: skip
                iri = f"https://lms.test/bench/{n}"
                services.set_brick_identifiers(session, brick, course_id=f"CRS-{n}", iris=[iri])
                iris.append(iri)
            session.commit()
            print(f"# Brique learning bench: {db.engine.dialect.name}, page size {args.page_size}")
            with running_ralph(Path(folder) / "ralph", page_size=args.page_size) as lrs:
                write_statements(Path(folder) / "ralph" / "data" / "fs_lrs.jsonl",
                                 args.statements, iris)  # fmt: skip
                services.update_lrs(
                    session, academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
                    username=lrs.username, secret=lrs.password,
                    business_unit_extension=EXTENSION, now=utcnow(), allow_private=True,
                    app_secret_key=app.config["SECRET_KEY"],
                )  # fmt: skip
                session.commit()
                began = time.perf_counter()
                report = services.pull_statements(
                    session, academy, key=KEY, now=utcnow(), timeout=600,
                    checkpoint=session.commit, allow_private=True,
                    app_secret_key=app.config["SECRET_KEY"],
                )  # fmt: skip
                session.commit()
                pulled = time.perf_counter() - began
                print(
                    f"pull      {report.read:>8} statements  {report.pages:>4} pages  "
                    f"{report.stored:>8} stored  {pulled:7.1f} s  peak RSS {peak_mb():6.0f} MB"
                )
                began = time.perf_counter()
                again = services.pull_statements(
                    session, academy, key=KEY, now=utcnow(), timeout=600,
                    checkpoint=session.commit, allow_private=True,
                    app_secret_key=app.config["SECRET_KEY"],
                )  # fmt: skip
                session.commit()
                print(f"pull again {again.read:>7} statements  {again.stored:>8} stored  "
                      f"{time.perf_counter() - began:7.1f} s")  # fmt: skip
            rows = [list(lms_import.FIELDS)]
            for i in range(args.rows):
                rows.append([f"emp-{i}", f"BU {i % 9}", f"CRS-{i % 3}", "2026-10-01",
                             "2026-10-20" if i % 2 else "", "passed" if i % 2 else "enrolled",
                             "80" if i % 2 else "", "45"])  # fmt: skip
            data = csv_bytes(rows)
            began = time.perf_counter()
            plan = lms_import.plan_import(session, academy, "export.csv", data)
            checked = time.perf_counter() - began
            count = lms_import.import_rows(session, academy, plan, key=KEY, now=utcnow())
            session.commit()
            imported = time.perf_counter() - began
            facts = session.scalar(select(func.count()).select_from(LearnerFact))
            print(
                f"import    {count:>8} rows ({len(data) // 1024} kB)  dry run {checked:6.1f} s  "
                f"total {imported:7.1f} s  peak RSS {peak_mb():6.0f} MB  facts {facts}"
            )
            session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
