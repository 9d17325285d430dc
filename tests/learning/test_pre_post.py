"""Level 2 (learning): a brick's pre-assessment. Its statements (from a real LRS) and its LMS
export rows are stored as "pre" facts; the figures (learners with both scores, mean before and
after, mean gain, share who improved) are worked by hand; a pre-assessment completes nothing and
gives the brick no score; the brick and release pages show them; the form checks the fields."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import insert, select

from tests.factories import SECRET as APP_SECRET
from tests.factories import csv_bytes, make_brick, make_need, make_release
from tests.factories.backlog import add_bricks
from tests.learning.conftest import EXTENSION, KEY
from tests.learning.lrs import Lrs, statement
from tracker.backlog.needs_services import link_brick
from tracker.db import utcnow
from tracker.learning import evaluations, lms_import, outcomes, services, xapi
from tracker.learning.models import EvaluationKind, FactSource, FactVerb, LearnerFact, LrsAuth
from tracker.learning.outcomes import forget_kept as forget_kept_outcomes
from tracker.mail.models import MailMessage

HEADER = ["learner_id", "business_unit", "course_id", "enrolment_date", "completion_date",
          "status", "score", "time_spent"]  # fmt: skip


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def phases(db_session, brick_id: int) -> list[tuple[str, str, bool]]:
    return sorted(
        (verb.value, phase, completed)
        for verb, phase, completed in db_session.execute(
            select(LearnerFact.verb, LearnerFact.phase, LearnerFact.completed).where(
                LearnerFact.brick_id == brick_id
            )
        )
    )


def test_the_first_activity_that_is_a_brick_s_decides_the_phase():
    main, pre = "https://lms.test/course/1", "https://lms.test/course/1/pre-test"
    at = "2026-11-02T10:00:00Z"
    of_pre = statement("u1", "passed", pre, at=at, score=0.4)
    of_pre["context"] = {"contextActivities": {"grouping": [{"id": main}]}}
    found = xapi.map_statement(of_pre, {main: 7}, "", {pre: 7})
    assert found is not None and (found.brick_id, found.phase, found.score) == (7, "pre", 0.4)
    question = statement("u1", "scored", "https://lms.test/q/3", at=at, score=0.5)
    question["context"] = {"contextActivities": {"parent": {"id": main}, "grouping": {"id": pre}}}
    found = xapi.map_statement(question, {main: 7}, "", {pre: 7})
    assert found is not None and found.phase == ""
    # Without the brick's pre-assessment IRIs, the same statement is no brick's.
    assert xapi.map_statement(statement("u1", "passed", pre, at=at), {main: 7}, "") is None


def test_pre_assessment_statements_pulled_from_the_lrs(db_session, world, lrs: Lrs):
    brick = make_brick(db_session, world, "Phishing", learner_minutes=30)
    main = f"https://lms.test/course/{uuid.uuid4()}"
    pre = f"{main}/pre-test"
    services.set_brick_identifiers(db_session, brick, course_id="", iris=[main], pre_iris=[pre])
    services.update_lrs(
        db_session, world.academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
        username=lrs.username, secret=lrs.password, business_unit_extension=EXTENSION,
        now=utcnow(), allow_private=True, app_secret_key=APP_SECRET,
    )  # fmt: skip
    start = utcnow()
    at = [iso(start + dt.timedelta(milliseconds=n)) for n in range(10)]
    of_pre = statement("b", "passed", pre, at=at[2], score=0.5)
    of_pre["context"] = {"contextActivities": {"grouping": [{"id": main}]}}  # still the pre-test
    lrs.post([
        # a: 40 % before, 80 % after (improved); b: 50 % and 50 % (not improved).
        statement("a", "passed", pre, at=at[0], score=0.4),
        statement("a", "passed", main, at=at[1], score=0.8),
        of_pre,
        statement("b", "passed", main, at=at[3], score=0.5),
        # c: a pre-test only and the brick launched: no "after" score.
        statement("c", "completed", pre, at=at[4], score=0.9, completion=True),
        statement("c", "launched", main, at=at[5]),
        # d: the pre-test only: not one of the brick's learners.
        statement("d", "passed", pre, at=at[6], score=1.0),
    ])  # fmt: skip
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert (report.errors, report.stored) == ([], 7)
    assert phases(db_session, brick.id) == [
        ("completed", "pre", True), ("launched", "", False), ("passed", "", True),
        ("passed", "", True), ("passed", "pre", True), ("passed", "pre", True),
        ("passed", "pre", True),
    ]  # fmt: skip
    found = outcomes.brick_outcomes(db_session, [brick])[brick.id]
    # Completion not inflated by the pre-test: a and b of a, b, c (d took only the pre-test).
    assert (found.enrolled, found.completed) == (3, 2)
    # The brick's score: a's 80 % and b's 50 %; c's 90 % on the pre-test is not one.
    assert found.scored == 2 and found.mean_score == pytest.approx(0.65)
    pre_post = found.pre_post
    assert (pre_post.learners, pre_post.improved) == (2, 1)
    assert pre_post.mean_pre == pytest.approx(0.45)  # (40 + 50) / 2
    assert pre_post.mean_post == pytest.approx(0.65)  # (80 + 50) / 2
    assert pre_post.mean_gain == pytest.approx(0.20)  # ((80 - 40) + (50 - 50)) / 2
    assert pre_post.improved_share == 0.5 and pre_post.indicative
    # Pulling again adds nothing.
    again = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert again.stored == 0


def test_lms_export_rows_of_the_pre_course(db_session, world):
    brick = make_brick(db_session, world, "RGPD", learner_minutes=20)
    services.set_brick_identifiers(
        db_session, brick, course_id="RGPD-1", iris=[], pre_course_id="RGPD-1-PRE"
    )
    need = make_need(db_session, world, title="RGPD for sales", business_unit="Sales",
                     headcount=10)  # fmt: skip
    link_brick(db_session, need, brick, actor=world.manager, now=utcnow())
    rows = [HEADER,
            ["u1", "Sales", "RGPD-1-PRE", "2026-01-05", "2026-01-05", "passed", "40", "10"],
            ["u1", "Sales", "RGPD-1", "2026-01-05", "2026-01-12", "passed", "90", "30"],
            ["u2", "Sales", "RGPD-1-PRE", "2026-01-05", "2026-01-05", "completed", "70", "10"],
            ["u2", "Sales", "RGPD-1", "2026-01-05", "", "failed", "60", "30"],
            ["u3", "Sales", "RGPD-1-PRE", "2026-01-05", "2026-01-05", "passed", "50", "10"],
            ["u4", "Sales", "RGPD-1", "2026-01-05", "", "in progress", "", ""]]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    assert plan.ok, [row.errors for row in plan.rows]
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    assert phases(db_session, brick.id) == [
        ("completed", "pre", True), ("enrolled", "", False), ("enrolled", "", False),
        ("enrolled", "", False), ("enrolled", "pre", False), ("enrolled", "pre", False),
        ("enrolled", "pre", False), ("failed", "", False), ("passed", "", True),
        ("passed", "pre", True), ("passed", "pre", True),
    ]  # fmt: skip
    found = outcomes.brick_outcomes(db_session, [brick])[brick.id]
    # u1, u2 and u4 are the brick's learners; only u1 completed it (u2 and u3 the pre-test).
    assert (found.enrolled, found.completed, found.completion_rate) == (3, 1, 1 / 3)
    assert found.scored == 2 and found.mean_score == pytest.approx(0.75)  # 90 and 60
    pre_post = found.pre_post
    assert (pre_post.learners, pre_post.improved) == (2, 1)  # u1 40 -> 90; u2 70 -> 60
    assert pre_post.mean_pre == pytest.approx(0.55)
    assert pre_post.mean_post == pytest.approx(0.75)
    assert pre_post.mean_gain == pytest.approx(0.20)  # (50 - 10) / 2 points
    # The need's people: reached by the brick (not by its pre-test alone), completed.
    reach = outcomes.need_reach(db_session, world.academy)
    assert [(r.reached, r.completed) for r in reach] == [(3, 1)]
    # Importing the same report again replaces its facts.
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    assert len(phases(db_session, brick.id)) == 11


def add(db_session, brick, scores: dict[str, tuple[float | None, float | None]], prefix=""):
    """Per learner (before, after): a pre-test fact when `before`, and a passed fact on the
    brick (scored when `after`)."""
    rows = []
    for learner, (before, after) in scores.items():
        key = services.learner_key("k", f"{prefix}{brick.id}-{learner}")
        common = {"academy_id": brick.academy_id, "brick_id": brick.id, "source": FactSource.XAPI,
                  "learner_key": key, "business_unit": "Sales", "occurred_at": utcnow(),
                  "seconds": 600}  # fmt: skip
        if before is not None:
            rows.append({**common, "source_id": f"p-{prefix}{brick.id}-{learner}",
                         "verb": FactVerb.PASSED, "score": before, "completed": True,
                         "phase": "pre"})  # fmt: skip
        rows.append({**common, "source_id": f"m-{prefix}{brick.id}-{learner}",
                     "verb": FactVerb.PASSED, "score": after, "completed": True,
                     "phase": ""})  # fmt: skip
    db_session.execute(insert(LearnerFact), rows)


def test_release_and_brick_pages_show_before_after_and_gain(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    first, second = add_bricks(db_session, world.academy, release, 2)
    services.set_brick_identifiers(db_session, first, course_id="M1", iris=[],
                                   pre_course_id="M1-PRE")  # fmt: skip
    add(db_session, first, {"a": (0.4, 0.8), "b": (0.6, 0.6), "c": (None, 0.9)})
    add(db_session, second, {"d": (0.2, 0.5)})
    found = outcomes.release_outcome(db_session, [first, second])
    # Per brick: the first 40 -> 80 and 60 -> 60; the second 20 -> 50.
    assert found.bricks[0][1].pre_post.mean_gain == pytest.approx(0.2)
    assert found.bricks[1][1].pre_post.mean_gain == pytest.approx(0.3)
    # The release: three learner-brick pairs, before (40 + 60 + 20) / 3, after (80 + 60 + 50) / 3.
    combined = found.pre_post
    assert (combined.learners, combined.improved) == (3, 2)
    assert combined.mean_pre == pytest.approx(0.4)
    assert combined.mean_post == pytest.approx(1.9 / 3)
    assert combined.mean_gain == pytest.approx(0.7 / 3)
    # Completions: 4 (the pre-tests' completions are not counted).
    assert (found.enrolments, found.completions) == (4, 4)

    login(world.manager)
    page = f"/a/{world.academy.slug}/releases/{release.id}/"
    client.get(page)  # the first request after logging in does more (the session's touch)
    forget_kept_outcomes()  # both counts are of a first view of these facts (not kept yet)
    with queries() as small:
        html = client.get(page).get_data(as_text=True)
    assert "4 enrolments, 4 completed" in html
    assert "3 learners with both, before 40%, after 63.3%, gain +23.3 pt" in html
    table = html.split("Outcomes per brick")[1].split("</table>")[0]
    assert ">Before<" in table and ">After<" in table and ">Gain<" in table
    assert "+20 pt" in table and "+30 pt" in table
    add(db_session, first, {f"x{i}": (0.5, 0.7) for i in range(200)}, prefix="more")
    add(db_session, second, {f"y{i}": (None, 0.7) for i in range(200)}, prefix="more")
    forget_kept_outcomes()
    with queries() as large:
        more = client.get(page).get_data(as_text=True)
    assert small.count == large.count
    assert "203 learners with both" in more

    brick_page = client.get(f"/a/{world.academy.slug}/bricks/{first.number}")
    html = brick_page.get_data(as_text=True)
    assert "Scores before and after" in html and "M1-PRE" in html
    figures = html.split("Scores before and after")[1].split("</dl>")[0]
    assert "Before" in figures and "After" in figures and "Gain" in figures
    # 202 learners: a 40 -> 80, b 60 -> 60 and 200 at 50 -> 70.
    assert "mean 50%" in figures and "mean 70%" in figures and "+20 pt" in figures
    assert "99.5% of them improved" in figures and "indicative" not in figures  # 201 / 202


def test_the_form_sets_the_pre_assessment_and_names_the_wrong_field(
    client, db_session, world, login
):
    brick = make_brick(db_session, world, "Phishing")
    other = make_brick(db_session, world, "Passwords")
    services.set_brick_identifiers(db_session, other, course_id="C-9", iris=["https://lms.test/9"],
                                   pre_course_id="C-9-PRE")  # fmt: skip
    login(world.designer)
    url = f"/a/{world.academy.slug}/bricks/{brick.number}/learning"
    assert "Pre-assessment" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={
        "course_id": "C-1", "activity_iris": "https://lms.test/1",
        "pre_course_id": "C-1-PRE", "pre_activity_iris": "https://lms.test/1/pre\n",
    })  # fmt: skip
    assert response.status_code == 303
    found = services.brick_identifiers(db_session, brick)
    assert (found.pre_course_id, found.pre_iris) == ("C-1-PRE", ["https://lms.test/1/pre"])
    page = client.get(f"/a/{world.academy.slug}/bricks/{brick.number}").get_data(as_text=True)
    assert "https://lms.test/1/pre" in page and "C-1-PRE" in page

    def refused(data: dict[str, str], field: str, *words: str) -> None:
        sent = {"course_id": "C-1", "activity_iris": "https://lms.test/1",
                "pre_course_id": "", "pre_activity_iris": "", **data}  # fmt: skip
        response = client.post(url, data=sent)
        assert response.status_code == 422, data
        html = response.get_data(as_text=True)
        error = html.split(f'id="{field}-error">')[1].split("</p>")[0]
        for word in words:
            assert word in error, (data, error)

    refused({"pre_activity_iris": "just words"}, "pre_activity_iris", "not an IRI")
    refused({"pre_course_id": "C-1"}, "pre_course_id", "own activity")
    refused({"pre_activity_iris": "https://lms.test/1"}, "pre_activity_iris", "own activity")
    refused({"pre_course_id": "C-9"}, "pre_course_id", other.key)  # another brick's course
    refused({"pre_activity_iris": "https://lms.test/9"}, "pre_activity_iris", other.key)
    refused({"course_id": "C-9-PRE"}, "course_id", other.key)  # another's pre-test
    refused({"pre_course_id": "x" * 501}, "pre_course_id")
    # Nothing was changed by the refused forms.
    assert services.brick_identifiers(db_session, brick) == found


def test_the_evaluation_goes_to_completers_of_the_brick_not_of_its_pre_test(db_session, world):
    release = make_release(db_session, world.academy)
    (brick,) = add_bricks(db_session, world.academy, release, 1)
    services.set_brick_identifiers(db_session, brick, course_id="EV-1", iris=[],
                                   pre_course_id="EV-1-PRE")  # fmt: skip
    services.set_named_mode(db_session, world.academy, named=True, retention_days=90, now=utcnow())
    rows = [["learner_id", "course_id", "status", "learner_email"]]
    rows += [[f"p{n}", "EV-1-PRE", "passed", f"p{n}@corp.example"] for n in range(3)]
    rows += [["p0", "EV-1", "completed", "p0@corp.example"],
             ["p1", "EV-1", "in progress", "p1@corp.example"]]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    evaluation, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    sent = evaluations.send_to_completers(
        db_session, world.academy, evaluation, base_url="http://x", now=utcnow()
    )
    assert sent == 1
    messages = db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()
    assert [m.to_address for m in messages] == ["p0@corp.example"]
