"""The issue's end-to-end path, as far as it is built: a released release; a real LRS on loopback
receives statements for 300 pseudonymous learners (launches, completions, scores); Brique pulls
them twice (the second pull adds nothing); the release page shows completion and scores; the
need's coverage shows people reached against its headcount; a stakeholder sees only aggregates.
Then the J+0 reaction: sent through the outbox to the completers (named mode), 40 answer, and
the release page shows it beside the beta round's prediction, with objectives achieved."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import SECRET as APP_SECRET
from tests.factories import make_need, make_release, make_testers, passing_round
from tests.factories.backlog import add_bricks
from tests.learning.conftest import EXTENSION
from tests.learning.lrs import Lrs, statement
from tracker.backlog.models import BloomLevel, LearningObjective
from tracker.backlog.needs_services import link_brick
from tracker.db import utcnow
from tracker.learning import evaluations, services
from tracker.learning.models import Evaluation, LrsAuth
from tracker.mail.models import MailMessage
from tracker.releases.models import ReleaseState


def test_released_bricks_learners_and_figures(client, db_session, world, login, lrs: Lrs,
                                               learner_key):  # fmt: skip
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 2)
    release.state = ReleaseState.RELEASED
    need = make_need(db_session, world, title="Cyber hygiene", business_unit="Sales",
                     headcount=500)  # fmt: skip
    link_brick(db_session, need, bricks[0], actor=world.manager, now=utcnow())
    iris = [f"https://lms.test/e2e/{b.id}" for b in bricks]
    for brick, iri in zip(bricks, iris, strict=True):
        services.set_brick_identifiers(db_session, brick, course_id="", iris=[iri])
    db_session.commit()

    login(world.manager)
    settings = f"/a/{world.academy.slug}/learning/"
    lrs_form = {
        "endpoint": lrs.endpoint,
        "auth": "basic",
        "username": lrs.username,
        "secret": lrs.password,
        "clear_secret": "keep",
        "business_unit_extension": EXTENSION,
    }
    client.post(settings, data=lrs_form)

    start = utcnow() + dt.timedelta(seconds=2)
    sent = []
    for n in range(300):
        at = (start + dt.timedelta(milliseconds=n)).isoformat().replace("+00:00", "Z")
        unit = "Sales" if n < 200 else "Finance"
        iri = iris[n % 2]
        sent.append(statement(f"e2e-{n}", "launched", iri, at=at, business_unit=unit,
                              extension=EXTENSION))  # fmt: skip
        if n % 3:  # two in three complete, with a score
            sent.append(statement(f"e2e-{n}", "passed", iri, at=at, score=0.6 + (n % 4) / 10,
                                  duration="PT25M", business_unit=unit,
                                  extension=EXTENSION))  # fmt: skip
    lrs.post(sent)

    client.post(f"/a/{world.academy.slug}/learning/pull")
    first = services.get_settings(db_session, world.academy)
    assert first.last_pull_error == ""
    again = services.pull_statements(
        db_session,
        world.academy,
        key=learner_key,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert again.stored == 0

    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    assert "Outcomes with learners" in html
    assert "300 enrolments, 200 completed (66.7%)" in html
    assert "25 min" in html  # the median time spent, beside the planned 30 min

    login(world.stakeholder)
    for page in ("needs/coverage", "overview"):
        html = client.get(f"/a/{world.academy.slug}/{page}").get_data(as_text=True)
        assert "Cyber hygiene" in html
        # 100 of the 200 Sales learners had the need's brick (brick 0: the even numbers), of
        # a headcount of 500; 66 of them completed it (not the multiples of 6).
        row = html[html.index('<th scope="row">Cyber hygiene</th>') :].split("</tr>")[0]
        assert ">100 (20%)</td>" in row and ">66 (13.2%)</td>" in row, row
        assert "e2e-" not in html
    assert client.get(f"/a/{world.academy.slug}/releases/{release.id}/").status_code == 403


def test_the_j0_reaction_goes_to_completers_and_sits_beside_the_beta_prediction(
    client, db_session, world, login, lrs: Lrs, learner_key
):
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 1)
    testers = make_testers(db_session, world.academy, 6)
    passing_round(db_session, world, release, testers)  # the beta's prediction: CSAT 100 %
    release.state = ReleaseState.RELEASED
    brick = bricks[0]
    objective = LearningObjective(brick_id=brick.id, statement="Spot phishing",
                                  bloom_level=BloomLevel.APPLY)  # fmt: skip
    db_session.add(objective)
    db_session.flush()
    iri = f"https://lms.test/e2e-j0/{brick.id}"
    services.set_brick_identifiers(db_session, brick, course_id="", iris=[iri])
    services.set_objective_thresholds(
        db_session, brick, {objective.id: 70}, {objective.id: "reaction:intention"}
    )
    services.set_named_mode(db_session, world.academy, named=True, retention_days=30, now=utcnow())
    services.update_lrs(
        db_session, world.academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
        username=lrs.username, secret=lrs.password, business_unit_extension=EXTENSION,
        now=utcnow(), allow_private=True, app_secret_key=APP_SECRET,
    )  # fmt: skip

    start = utcnow() + dt.timedelta(seconds=2)
    sent = []
    for n in range(300):
        at = (start + dt.timedelta(milliseconds=n)).isoformat().replace("+00:00", "Z")
        for verb in ("launched", "passed") if n % 3 else ("launched",):
            found = statement(
                "x", verb, iri, at=at, score=(50 + n % 50) / 100 if verb == "passed" else None
            )
            found["actor"] = {"objectType": "Agent", "mbox": f"mailto:j0-{n}@corp.example"}
            sent.append(found)
    lrs.post(sent)
    assert (
        services.pull_statements(
            db_session,
            world.academy,
            key=learner_key,
            now=utcnow(),
            allow_private=True,
            app_secret_key=APP_SECRET,
        ).stored
        == 500
    )
    assert (
        services.pull_statements(
            db_session,
            world.academy,
            key=learner_key,
            now=utcnow(),
            allow_private=True,
            app_secret_key=APP_SECRET,
        ).stored
        == 0
    )

    login(world.manager)
    created = client.post(f"/a/{world.academy.slug}/releases/{release.id}/evaluations",
                          data={"kind": "reaction"})  # fmt: skip
    assert created.status_code == 200
    evaluation = db_session.scalars(select(Evaluation)).one()
    assert (
        client.post(f"/a/{world.academy.slug}/evaluations/{evaluation.id}/send").status_code == 303
    )
    outbox = db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()
    assert len(outbox) == 200  # the completers

    questions = evaluations.questions_of(db_session, evaluation)
    client.post("/logout")
    for n, message in enumerate(outbox[:40]):
        token = evaluations.issue_for_mail(db_session, message.link_ref, utcnow())  # as it leaves
        values = {f"q{q.id}": {"rating": "4" if n % 4 else "3", "nps": "9", "yes_no": "1",
                               "text": ""}[q.kind.value] for q in questions}  # fmt: skip
        assert client.post(f"/e/{token}", data=values).status_code == 200

    login(world.manager)
    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    assert "300 enrolments, 200 completed (66.7%)" in html
    evaluated = html[html.index("Evaluations after the release") :]
    beta_row = evaluated[evaluated.index("Beta round (prediction)") :].split("</tr>")[0]
    reaction_row = evaluated[evaluated.index("Reaction at J+0") :].split("</tr>")[0]
    assert "100%" in beta_row  # the beta round predicted CSAT 100 %
    assert ">40<" in reaction_row.replace(" ", "") and "75%" in reaction_row  # 30 of 40 gave 4
    achieved = html[html.index("Objectives achieved") :].split("</table>")[0]
    assert "Spot phishing" in achieved and "200" in achieved
    assert "100% <small>(40 answers)</small>" in achieved  # all 40 intend to apply
