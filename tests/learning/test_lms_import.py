"""The LMS-export import: dry run naming bad rows (nothing imported while one is wrong), a
realistic 10,000-row report, remembered headers and presets, pseudonyms only."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import csv_bytes, make_brick, xlsx_bytes
from tests.learning.conftest import KEY
from tracker import imports_web
from tracker.db import utcnow
from tracker.learning import lms_import, services
from tracker.learning.models import FactSource, FactVerb, LearnerFact

HEADER = ["learner_id", "business_unit", "course_id", "enrolment_date", "completion_date",
          "status", "score", "time_spent"]  # fmt: skip


def url(world, suffix: str = "") -> str:
    return f"/a/{world.academy.slug}/learning/import{suffix}"


def upload(client, world, data: bytes, filename: str = "report.csv"):
    """The upload as a browser sends it. The body is encoded here: Werkzeug's test client
    spools a large one to a temporary file it never closes (a ResourceWarning)."""
    boundary, body = encode_multipart(
        {"csrf_token": client._csrf_token(), "file": FileStorage(io.BytesIO(data), filename)}
    )
    return client.post(
        url(world),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        csrf=False,
    )


def token_in(response) -> str:
    match = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no confirmation form"
    return match.group(1)


def courses(db_session, world, *ids: str) -> list[int]:
    found = []
    for course in ids:
        brick = make_brick(db_session, world, f"Course {course}", learner_minutes=40)
        services.set_brick_identifiers(db_session, brick, course_id=course, iris=[])
        found.append(brick.id)
    return found


def report(n: int) -> list[list[str]]:
    """A realistic report: n learners over three courses, a third completed, some failed."""
    rows = [HEADER]
    statuses = ["passed", "in progress", "completed", "failed", "enrolled", "Terminé"]
    for i in range(n):
        status = statuses[i % len(statuses)]
        done = status in ("passed", "completed", "failed", "Terminé")
        rows.append([
            f"u-{i:06d}", f"BU {i % 7}", f"CYBER-{i % 3}", "2026-01-05",
            "12/01/2026" if done else "", status, str(50 + i % 50) if done else "",
            f"{20 + i % 40}" if i % 2 else f"0:{20 + i % 40}:00",
        ])  # fmt: skip
    return rows


def fact_count(db_session, world) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(LearnerFact)
        .where(LearnerFact.academy_id == world.academy.id)
    )


def test_10000_rows_one_wrong_nothing_imported_then_all(
    client, db_session, world, login, learner_key
):
    courses(db_session, world, "CYBER-0", "CYBER-1", "CYBER-2")
    rows = report(10_000)
    rows[4321][6] = "112"  # a score past 100
    rows[8000][2] = "UNKNOWN-9"  # no brick has it
    login(world.manager)
    dry_run = upload(client, world, csv_bytes(rows))
    html = dry_run.get_data(as_text=True)
    assert dry_run.status_code == 422
    assert "2 rows are wrong" in html
    assert "A score is a percentage between 0 and 100." in html
    assert "UNKNOWN-9" in html
    assert 'name="token"' not in html  # no way to confirm
    assert fact_count(db_session, world) == 0

    rows[4321][6] = "100"
    rows[8000][2] = "CYBER-1"
    dry_run = upload(client, world, csv_bytes(rows))
    assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[:2000]
    confirmed = client.post(url(world, "/confirm"), data={"token": token_in(dry_run)})
    assert confirmed.status_code == 303
    facts = list(
        db_session.scalars(select(LearnerFact).where(LearnerFact.academy_id == world.academy.id))
    )
    enrolled = [f for f in facts if f.verb == FactVerb.ENROLLED]
    assert len(enrolled) == 10_000
    assert len({f.learner_key for f in enrolled}) == 10_000
    assert all(f.source == FactSource.LMS_EXPORT for f in facts)
    completed = [f for f in facts if f.completed]
    assert len(completed) == sum(1 for i in range(10_000) if i % 6 in (0, 2, 5))
    assert {f.verb for f in facts} == {
        FactVerb.ENROLLED,
        FactVerb.PASSED,
        FactVerb.COMPLETED,
        FactVerb.FAILED,
    }
    assert services.learner_key(KEY, "u-000000") in {f.learner_key for f in enrolled}
    first = next(
        f
        for f in facts
        if f.verb == FactVerb.PASSED and f.learner_key == services.learner_key(KEY, "u-000000")
    )
    assert (first.score, first.seconds, first.business_unit) == (0.5, 20 * 60, "BU 0")

    # The same report again replaces its facts: nothing is added.
    before = fact_count(db_session, world)
    again = upload(client, world, csv_bytes(rows))
    client.post(url(world, "/confirm"), data={"token": token_in(again)})
    assert fact_count(db_session, world) == before


def test_the_dry_run_of_10000_rows_shows_the_2_bad_ones_first_and_stays_small(
    client, db_session, world, login, learner_key
):
    courses(db_session, world, "CYBER-0", "CYBER-1", "CYBER-2")
    rows = report(10_000)
    rows[7001][6] = "112"  # line 7002: a score past 100
    rows[3000][3] = "31/31/2026"  # line 3001: no such day
    login(world.manager)
    dry_run = upload(client, world, csv_bytes(rows))
    assert dry_run.status_code == 422
    html = dry_run.get_data(as_text=True)
    assert len(html) < 60_000  # the 10,000 rows are not all drawn
    assert html.count('class="import-row-bad"') == 2
    assert html.count('class="import-row-ok"') == imports_web.GOOD_ROWS_SHOWN
    # The bad rows come first, in file order, each with its line, column and message...
    first_bad = html.index('class="import-row-bad"')
    assert first_bad < html.index('class="import-row-ok"')
    bad_lines = re.findall(r'class="import-row-bad">\s*<th scope="row">(\d+)</th>', html)
    assert bad_lines == ["3001", "7002"]
    assert "<code>enrolment_date</code>" in html and "<code>score</code>" in html
    assert "A score is a percentage between 0 and 100." in html
    # ... then how many good rows are not shown.
    more = 9_998 - imports_web.GOOD_ROWS_SHOWN
    assert re.search(rf"{more // 1000}\D{{1,6}}{more % 1000:03d}", html), "no count of the rest"


def test_the_wrong_rows_shown_are_bounded_too(client, db_session, world, login, learner_key):
    courses(db_session, world, "CYBER-0")
    count = imports_web.BAD_ROWS_SHOWN + 37
    rows = [HEADER] + [[f"u{n}", "", "NO-SUCH", "", "", "", "", ""] for n in range(count)]
    login(world.manager)
    html = upload(client, world, csv_bytes(rows)).get_data(as_text=True)
    assert html.count('class="import-row-bad"') == imports_web.BAD_ROWS_SHOWN
    assert 'class="import-row-ok"' not in html
    assert re.search(r"\b37\b", html)


def test_bad_rows_are_named_by_line_and_column(db_session, world):
    courses(db_session, world, "C-1")
    rows = [HEADER,
            ["u1", "", "C-1", "2026-13-45", "", "", "", ""],
            ["", "", "C-1", "", "", "passed", "80", "1h30"],
            ["u3", "", "C-1", "", "", "half done", "", "forever"],
            ["u1", "", "C-1", "", "", "", "", ""]]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    assert not plan.ok
    errors = {row.line: [column for column, _m in row.errors] for row in plan.rows}
    assert errors == {2: ["enrolment_date"], 3: ["learner_id"], 4: ["status", "time_spent"],
                      5: ["learner_id"]}  # fmt: skip


def test_headers_are_remembered_and_presets_fill_them(
    client, db_session, world, login, learner_key
):
    courses(db_session, world, "CYBER-101")
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/columns", data={"preset": "moodle"})
    assert response.status_code == 303
    mapping = services.get_settings(db_session, world.academy).column_mapping
    assert mapping["course_id"] == "Course short name"
    moodle = [["ID number", "Department", "Course short name", "Time completed",
               "Completion status", "Grade"],
              ["m-1", "Sales", "CYBER-101", "2026-02-01", "Completed", "75"]]  # fmt: skip
    dry_run = upload(client, world, xlsx_bytes(moodle), "moodle.xlsx")
    assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[:3000]
    client.post(url(world, "/confirm"), data={"token": token_in(dry_run)})
    assert fact_count(db_session, world) == 2
    # A report with the academy's own headers: they are remembered after the import.
    own = [["Matricule", "Cours", "Statut"], ["x-1", "CYBER-101", "passed"]]
    client.post(f"/a/{world.academy.slug}/learning/columns",
                data={"preset": "mine", "learner_id": "Matricule",
                      "course_id": "Cours"})  # fmt: skip
    dry_run = upload(client, world, csv_bytes(own))
    assert dry_run.status_code == 200
    client.post(url(world, "/confirm"), data={"token": token_in(dry_run)})
    mapping = services.get_settings(db_session, world.academy).column_mapping
    assert mapping["learner_id"] == "Matricule" and mapping["status"] == "Statut"


def test_no_name_or_email_reaches_the_facts(db_session, world):
    courses(db_session, world, "C-1")
    rows = [HEADER, ["jeanne.dupont@example.com", "Sales", "C-1", "", "", "passed", "", ""]]
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    for fact in db_session.scalars(select(LearnerFact)):
        assert "jeanne" not in fact.learner_key and "@" not in fact.learner_key
