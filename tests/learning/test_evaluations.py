"""Evaluations after a release: the J+0 reaction survey through its public link (shown once,
stored hashed), 40 anonymous answers, the figures beside the beta round's prediction, closing,
and nothing in the answers that names or times a person."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import csv_bytes, make_release, make_testers, passing_round
from tests.factories.backlog import add_bricks
from tracker.db import utcnow
from tracker.feedback.models import GateMetric
from tracker.learning import evaluations, lms_import, services
from tracker.learning.models import Evaluation, EvaluationAnswer, EvaluationKind
from tracker.mail.models import MailMessage
from tracker.mail.services import LINK_TOKEN


def link_of(html: str) -> str:
    match = re.search(r"http://[^<\s]+(/e/[A-Za-z0-9_-]+)", html)
    assert match, html[:2000]
    return match.group(1)


def answers(questions, *, rating: int, nps: int, intention: int, text: str = "") -> dict:
    values = {}
    for q in questions:
        values[f"q{q.id}"] = {"rating": str(rating), "nps": str(nps),
                              "yes_no": str(intention), "text": text}[q.kind.value]  # fmt: skip
    return values


def test_reaction_at_j0_through_the_public_link(client, db_session, world, login):
    release = make_release(db_session, world.academy)
    add_bricks(db_session, world.academy, release, 2)
    testers = make_testers(db_session, world.academy, 6)
    passing_round(db_session, world, release, testers)  # the beta round: CSAT 100 %, NPS +100
    login(world.manager)
    created = client.post(f"/a/{world.academy.slug}/releases/{release.id}/evaluations",
                          data={"kind": "reaction"})  # fmt: skip
    assert created.status_code == 200
    path = link_of(created.get_data(as_text=True))
    evaluation = db_session.scalars(select(Evaluation)).one()
    assert path.rsplit("/", 1)[1] not in evaluation.link_hash  # only the hash is kept
    questions = evaluations.questions_of(db_session, evaluation)

    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 200 and "anonymes" in page.get_data(
        as_text=True
    )  # French by default
    incomplete = client.post(path, data={f"q{questions[0].id}": "4"})
    assert incomplete.status_code == 422
    for n in range(40):
        client.delete_cookie(f"brique_answered_{evaluation.id}", path="/e/")  # 40 browsers
        response = client.post(path, data=answers(
            questions, rating=4 if n % 4 else 2, nps=9 if n % 2 else 7, intention=int(n % 5 != 0),
            text=f"Idea {n:02d}" if n < 3 else "",
        ))  # fmt: skip
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert client.get("/e/not-a-real-link").status_code == 404

    results = evaluations.evaluation_results(db_session, [evaluation])[evaluation.id]
    assert results.respondents == 40 and not results.indicative
    assert results.measure("csat").csat == 75.0
    assert results.measure("nps").nps.score == 50.0
    assert results.measure("intention").yes == 80.0
    # Answers hold no person and no time: only values and a random key per form.
    columns = set(EvaluationAnswer.__table__.columns.keys())
    assert columns == {
        "id",
        "evaluation_id",
        "question_id",
        "submission",
        "value_int",
        "value_text",
    }

    login(world.manager)
    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    section = html[html.index("Evaluations after the release") :]
    assert "Beta round (prediction)" in section and "Reaction at J+0" in section
    assert "75%" in section and "+50" in section and "80%" in section and "+100" in section
    results_page = client.get(f"/a/{world.academy.slug}/evaluations/{evaluation.id}")
    text = results_page.get_data(as_text=True)
    assert results_page.status_code == 200
    assert text.index("Idea 00") < text.index("Idea 01") < text.index("Idea 02")


def cells_of(section: str, header: str) -> list[str]:
    row = section[section.index(header) :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_the_intention_to_apply_is_compared_only_when_the_beta_round_measured_it(
    client, db_session, world, login
):
    release = make_release(db_session, world.academy)
    add_bricks(db_session, world.academy, release, 1)
    run = passing_round(db_session, world, release, make_testers(db_session, world.academy, 4))
    evaluation, token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    questions = evaluations.questions_of(db_session, evaluation)
    for n in range(4):  # 3 of 4 intend to apply: 75 %
        client.delete_cookie(f"brique_answered_{evaluation.id}", path="/e/")
        client.post(f"/e/{token}", data=answers(questions, rating=4, nps=9, intention=int(n > 0)))
    login(world.manager)
    page = f"/a/{world.academy.slug}/releases/{release.id}/"

    # Every tester of the beta said yes to its intention question: 100 %, 75 - 100 at J+0.
    section = client.get(page).get_data(as_text=True)
    section = section[section.index('id="evaluations"') :]
    assert cells_of(section, "Beta round (prediction)")[3] == "100%"
    assert cells_of(section, "Reaction at J+0")[3] == "75% -25 pt vs beta"

    # A beta round none of whose questions measures it (as before the question existed).
    intention = next(q for q in run.round.questions if q.gate_metric == GateMetric.INTENTION)
    intention.gate_metric = None
    db_session.commit()
    section = client.get(page).get_data(as_text=True)
    section = section[section.index('id="evaluations"') :]
    assert cells_of(section, "Beta round (prediction)")[3] == "— not measured by this beta round"
    assert cells_of(section, "Reaction at J+0")[3] == "75%"


def test_a_closed_evaluation_takes_no_answer(client, db_session, world):
    release = make_release(db_session, world.academy)
    evaluation, token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.TRANSFER_30,
        now=utcnow() - dt.timedelta(days=20),
    )  # fmt: skip
    questions = evaluations.questions_of(db_session, evaluation)
    response = client.post(f"/e/{token}", data=answers(questions, rating=3, nps=5, intention=1))
    assert "Cette évaluation est close" in response.get_data(as_text=True)
    assert db_session.scalars(select(EvaluationAnswer)).all() == []


def test_named_mode_mails_the_completers_each_their_own_link(client, db_session, world, login):
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 1)
    services.set_brick_identifiers(db_session, bricks[0], course_id="EVAL-1", iris=[])
    evaluation, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    login(world.manager)
    url = f"/a/{world.academy.slug}/evaluations/{evaluation.id}/send"
    refused = client.post(url, follow_redirects=True)  # default mode: no e-mail kept
    assert "give the public link" in refused.get_data(as_text=True)
    services.set_named_mode(db_session, world.academy, named=True, retention_days=90, now=utcnow())
    rows = [["learner_id", "course_id", "status", "learner_email"]]
    rows += [[f"c{n}", "EVAL-1", "passed" if n < 6 else "enrolled", f"c{n}@corp.example"]
             for n in range(9)]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key="k", now=utcnow())
    response = client.post(url)
    assert response.status_code == 303
    messages = db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()
    assert sorted(m.to_address for m in messages) == [f"c{n}@corp.example" for n in range(6)]
    assert all(LINK_TOKEN in m.body_text for m in messages)  # no link stored in a message
    reminded = client.post(url, data={"reminder": "1"})
    assert reminded.status_code == 303
    reminders = db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()
    assert len(reminders) == 12
    assert sum(m.subject.startswith(("Reminder", "Rappel")) for m in reminders) == 6
    token = evaluations.issue_for_mail(db_session, evaluation.id, utcnow())
    assert token and evaluations.find_by_link(db_session, token) == evaluation
    assert client.get(f"/e/{token}").status_code == 200
