"""The issue's acceptance, end to end: a release is released (through the releases service's
form); a real LRS on loopback (Ralph) receives statements for 300 learners (launches,
completions, scores); Brique pulls them twice (the second pull adds nothing); the worker's
`open_due_evaluations` opens the J+0 reaction at the release; 40 learners answer; the release
page shows completion, scores, the reaction beside the beta round's prediction and the
objectives achieved; the need's coverage shows people reached against its headcount; a
stakeholder sees only aggregates.

How the J+0 survey reaches the learners depends on the academy's mode, and both are tested:
- default (pseudonymous) mode: Brique keeps no e-mail, so nothing can go "to the completers
  through the outbox"; the worker tells the managers, who make the evaluation's public link and
  give it through the learning platform. The learners are pseudonymous (LMS account names).
- named mode: the only mode in which the acceptance's "goes to the completers through the
  outbox" is possible (an e-mail is needed). The learners' statements name them by `mbox`; the
  learner key stays the keyed hash, the e-mail is kept apart (learner_identity) for the mail.

Figures worked by hand (learner n = 0..299):
- brick "Module 1" has the even n, "Module 2" the odd n: 150 learners each;
- n % 3 != 0 complete ("passed"): 100 of each brick, 200 in all: 66.7 %;
- scores [0.6, 0.7, 0.8, 0.9][n % 4]: Module 1 (even n) 50 at 0.6 and 50 at 0.8, mean 70 %;
  Module 2 (odd n) 50 at 0.7 and 50 at 0.9, mean 80 %;
- the objective of Module 1 (threshold 70 %): 50 of its 100 scored learners reach it (0.8);
- units: n < 200 Sales, else Finance; the need (Sales, headcount 500) is Module 1's: 100 Sales
  learners reached (20 %), 66 completed (13.2 %: the even n < 200 not multiples of 6);
- by unit over the release (people): Sales 200, 133 completed (66.5 %); Finance 100, 67 (67 %);
- 40 answers: satisfaction 4 for 30 of them (n % 4 != 0), 3 for 10: CSAT 75 %; NPS 9 for the
  even answers and 7 for the odd: 20 promoters, no detractor: +50; intention yes for 32
  (n % 5 != 0): 80 %. The beta round predicted CSAT 100 % and NPS +100 (all 5 and 10), and an
  intention to apply of 100 % (every tester answered yes to its intention question).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.factories import SECRET as APP_SECRET
from tests.factories import make_need, make_testers, passing_round, plan_release
from tests.factories.backlog import add_bricks
from tests.learning.conftest import EXTENSION
from tests.learning.lrs import Lrs, statement
from tracker.backlog.models import BloomLevel, LearningObjective
from tracker.backlog.needs_services import link_brick
from tracker.db import utcnow
from tracker.learning import evaluations, services
from tracker.learning.models import EvaluationKind, LearnerFact, LearnerIdentity
from tracker.mail.models import MailMessage
from tracker.releases import services as releases
from tracker.releases.models import ReleaseState
from tracker.workspace.models import Notification, NotificationKind

BASE = "https://brique.test"
SCORES = (0.6, 0.7, 0.8, 0.9)


def row_of(html: str, header: str) -> str:
    """The table row whose header cell starts with `header`."""
    start = html.index(header)
    return html[start : html.index("</tr>", start)]


def cells(row: str) -> list[str]:
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def learner_statements(iris: list[str], *, named: bool, tag: str) -> list[dict]:
    start = utcnow() + dt.timedelta(seconds=2)
    sent = []
    for n in range(300):
        at = (start + dt.timedelta(milliseconds=n)).isoformat().replace("+00:00", "Z")
        unit = "Sales" if n < 200 else "Finance"
        iri = iris[n % 2]
        verbs = ("launched", "passed") if n % 3 else ("launched",)
        for verb in verbs:
            found = statement(
                f"{tag}-{n}", verb, iri, at=at, business_unit=unit, extension=EXTENSION,
                score=SCORES[n % 4] if verb == "passed" else None,
                duration="PT25M" if verb == "passed" else "",
            )  # fmt: skip
            if named:
                found["actor"] = {"objectType": "Agent", "mbox": f"mailto:{tag}-{n}@corp.example"}
            sent.append(found)
    return sent


def answer(client, token: str, questions, n: int) -> None:
    chosen = {"csat": "4" if n % 4 else "3", "useful": "4", "nps": "9" if n % 2 == 0 else "7",
              "intention": "1" if n % 5 else "0"}  # fmt: skip
    values = {f"q{q.id}": chosen.get(q.measure, "") for q in questions}
    assert client.post(f"/e/{token}", data=values).status_code == 200


@pytest.mark.parametrize("named", [False, True], ids=["pseudonymous-public-link", "named-outbox"])
def test_a_release_from_beta_to_learners_results(
    client, db_session, world, login, lrs: Lrs, learner_key, named
):
    tag = "named" if named else "pseudo"
    release = plan_release(db_session, world, f"Cyber {tag}")
    bricks = add_bricks(db_session, world.academy, release, 2)
    testers = make_testers(db_session, world.academy, 6)
    passing_round(db_session, world, release, testers)  # the beta: CSAT 100 %, NPS +100
    releases.record_decision(db_session, release, outcome="go", actor=world.manager,
                             now=utcnow())  # fmt: skip
    need = make_need(db_session, world, title=f"Cyber hygiene {tag}", business_unit="Sales",
                     headcount=500)  # fmt: skip
    link_brick(db_session, need, bricks[0], actor=world.manager, now=utcnow())
    objective = LearningObjective(brick_id=bricks[0].id, statement="Spot phishing",
                                  bloom_level=BloomLevel.APPLY)  # fmt: skip
    db_session.add(objective)
    db_session.flush()
    iris = [f"https://lms.test/e2e-{tag}/{b.id}" for b in bricks]
    for brick, iri in zip(bricks, iris, strict=True):
        services.set_brick_identifiers(db_session, brick, course_id="", iris=[iri])
    services.set_objective_thresholds(
        db_session, bricks[0], {objective.id: 70}, {objective.id: "reaction:intention"}
    )
    if named:
        services.set_named_mode(db_session, world.academy, named=True, retention_days=30,
                                now=utcnow())  # fmt: skip
    db_session.commit()
    slug = world.academy.slug

    # The release is released through its form (the releases service's mark_released).
    login(world.manager)
    assert client.post(f"/a/{slug}/releases/{release.id}/release", data={}).status_code == 303
    db_session.refresh(release)
    assert release.state == ReleaseState.RELEASED and release.released_at is not None

    # The LMS posts its statements to the LRS; Brique reads them (by the page), then again.
    client.post(f"/a/{slug}/learning/", data={
        "endpoint": lrs.endpoint, "auth": "basic", "username": lrs.username,
        "secret": lrs.password, "clear_secret": "keep", "business_unit_extension": EXTENSION,
    })  # fmt: skip
    lrs.post(learner_statements(iris, named=named, tag=tag))
    assert client.post(f"/a/{slug}/learning/pull").status_code == 303
    assert services.get_settings(db_session, world.academy).last_pull_error == ""
    stored = db_session.scalar(select(func.count()).select_from(LearnerFact))
    assert stored == 500  # 300 launches, 200 completions
    again = services.pull_statements(
        db_session,
        world.academy,
        key=learner_key,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert again.stored == 0
    assert db_session.scalar(select(func.count()).select_from(LearnerFact)) == 500

    # The worker opens the J+0 reaction at the release.
    opened = evaluations.open_due_evaluations(
        db_session, now=release.released_at + dt.timedelta(minutes=5), base_url=BASE
    )
    db_session.commit()
    assert [o.evaluation.kind for o in opened] == [EvaluationKind.REACTION]
    evaluation = opened[0].evaluation
    questions = evaluations.questions_of(db_session, evaluation)
    outbox = db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()
    client.post("/logout")
    if named:
        # To the 200 completers, each once, through the outbox.
        assert opened[0].queued == 200
        completers = {f"{tag}-{n}@corp.example" for n in range(300) if n % 3}
        assert sorted(m.to_address for m in outbox) == sorted(completers)
        for n, message in enumerate(outbox[:40]):
            token = evaluations.issue_for_mail(db_session, message.link_ref, utcnow())
            db_session.commit()
            assert token is not None
            answer(client, token, questions, n)
    else:
        # No e-mail is kept: nothing queued; the managers are told and make the public link.
        assert outbox == []
        assert db_session.scalar(select(func.count()).select_from(LearnerIdentity)) == 0
        told = db_session.scalars(
            select(Notification).where(Notification.kind == NotificationKind.EVALUATION)
        ).all()
        assert [n.user_id for n in told] == [world.manager.id] and opened[0].queued == 1
        login(world.manager)
        made = client.post(f"/a/{slug}/evaluations/{evaluation.id}/link").get_data(as_text=True)
        token = re.search(r"/e/([A-Za-z0-9_\-]+)</code>", made).group(1)
        client.post("/logout")
        for n in range(40):  # 40 learners, each in their own browser (no "answered" cookie)
            client.delete_cookie(f"brique_answered_{evaluation.id}", path="/e/")
            answer(client, token, questions, n)

    login(world.manager)
    html = client.get(f"/a/{slug}/releases/{release.id}/").get_data(as_text=True)
    assert "300 enrolments, 200 completed (66.7%)" in html
    outcomes = html[html.index('id="outcomes"') : html.index('id="evaluations"')]
    first, second = row_of(outcomes, bricks[0].key), row_of(outcomes, bricks[1].key)
    # learners, completed, rate, median time, planned, mean score
    assert cells(first)[:6] == ["150", "100", "66.7%", "25 min", "30 min", "70%"]
    assert cells(second)[:6] == ["150", "100", "66.7%", "25 min", "30 min", "80%"]
    units = outcomes[outcomes.index("Learners by business unit") :]
    assert cells(row_of(units, ">Finance<")) == ["100", "67", "67%"]
    assert cells(row_of(units, ">Sales<")) == ["200", "133", "66.5%"]
    evaluated = html[html.index('id="evaluations"') :]
    beta = cells(row_of(evaluated, "Beta round (prediction)"))
    reaction = cells(row_of(evaluated, "Reaction at J+0"))
    assert beta[1:4] == ["100%", "+100", "100%"]
    # Beside each compared figure: J+0 minus the beta's (75 - 100, 50 - 100, 80 - 100).
    assert reaction[0] == "40"
    assert reaction[1:4] == ["75% -25 pt vs beta", "+50 vs beta -50", "80% -20 pt vs beta"], (
        reaction
    )
    achieved = row_of(html[html.index("Objectives achieved") :], "Spot phishing")
    assert cells(achieved) == ["70%", "100", "50%", "80% (40 answers)"]

    # The brick page shows the release's evaluations too, marked as the release's.
    brick_page = client.get(f"/a/{slug}/bricks/{bricks[1].number}").get_data(as_text=True)
    on_brick = brick_page[brick_page.index("Evaluations after the release (release-wide)") :]
    assert cells(row_of(on_brick, ">Reaction at J+0</th>")) == ["40", "75%", "+50", "80%"]

    login(world.stakeholder)
    for page in ("needs/coverage", "overview"):
        html = client.get(f"/a/{slug}/{page}").get_data(as_text=True)
        row = row_of(html, f'<th scope="row">Cyber hygiene {tag}</th>')
        assert cells(row)[:4] == ["Sales", "500", "100 (20%)", "66 (13.2%)"], row
        assert f"{tag}-" not in html and "corp.example" not in html
    assert client.get(f"/a/{slug}/releases/{release.id}/").status_code == 403
    assert client.get(f"/a/{slug}/evaluations/{evaluation.id}").status_code == 403
