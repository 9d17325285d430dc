"""People reached per need: a learner's business unit is theirs over all their facts on the
need's bricks (a completion whose statement had no unit counts), and the share who applied it
(the "applied" question of the transfer evaluations of its bricks' releases, release-wide: the
latest kind with answers), on the coverage page and the stakeholder's home; a number of queries
that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import insert

from tests.factories import make_need, make_release
from tests.factories.backlog import add_bricks
from tracker.backlog.needs_services import link_brick
from tracker.learning import evaluations, outcomes, services
from tracker.learning.models import EvaluationKind, FactSource, FactVerb, LearnerFact

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def fact(brick, learner: str, unit: str, *, completed: bool) -> dict:
    return {
        "academy_id": brick.academy_id, "brick_id": brick.id, "source": FactSource.XAPI,
        "source_id": f"{'c' if completed else 'l'}-{brick.id}-{learner}",
        "learner_key": services.learner_key("k", learner), "business_unit": unit,
        "occurred_at": T0, "verb": FactVerb.PASSED if completed else FactVerb.LAUNCHED,
        "score": None, "seconds": None, "completed": completed,
    }  # fmt: skip


def learners(brick, prefix: str, count: int, unit: str) -> list[dict]:
    """`count` learners who launched with `unit`; the even ones completed by a statement that
    names no unit (as many LMS send it)."""
    rows = []
    for i in range(count):
        rows.append(fact(brick, f"{prefix}{i}", unit, completed=False))
        if i % 2 == 0:
            rows.append(fact(brick, f"{prefix}{i}", "", completed=True))
    return rows


def answer_transfer(db_session, evaluation, yes: int, no: int) -> None:
    questions = evaluations.questions_of(db_session, evaluation)
    for n in range(yes + no):
        values = {f"q{q.id}": {"applied": "1" if n < yes else "0", "frequency": "3"}.get(
            q.measure, "") for q in questions}  # fmt: skip
        evaluations.submit_answers(db_session, evaluation, values, now=T0)


def cells(html: str, title: str) -> list[str]:
    start = html.index(f'<th scope="row">{title}</th>')
    row = html[start : html.index("</tr>", start)]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_unit_per_learner_and_applied_on_coverage_and_home(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    brick, other = add_bricks(db_session, world.academy, release, 2)
    need = make_need(db_session, world, title="RGPD for sales", business_unit="Sales",
                     headcount=400)  # fmt: skip
    link_brick(db_session, need, brick, actor=world.manager, now=T0)
    rows = learners(brick, "s", 12, "Sales") + learners(brick, "h", 9, "HR")
    rows.append(fact(brick, "nobody-knows", "", completed=True))  # no unit at all: not Sales
    rows += learners(other, "o", 10, "Sales")  # another brick: not the need's
    db_session.execute(insert(LearnerFact), rows)

    with queries() as small:
        [reach] = outcomes.need_reach(db_session, world.academy)
    # 12 Sales learners, the 6 even ones completed (with no unit on their completion).
    assert (reach.reached, reach.completed) == (12, 6)
    assert reach.applied_kind is None and reach.applied_share is None

    # J+30: 7 yes of 10. The J+90 (4 answers, 1 yes), once it has answers, is the later word.
    later, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.TRANSFER_30, now=T0
    )
    answer_transfer(db_session, later, 7, 3)
    [reach] = outcomes.need_reach(db_session, world.academy)
    assert (reach.applied_kind, reach.applied_answers, reach.applied_yes) == (
        EvaluationKind.TRANSFER_30, 10, 7)  # fmt: skip
    latest, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.TRANSFER_90, now=T0
    )
    answer_transfer(db_session, latest, 1, 3)
    db_session.execute(insert(LearnerFact), learners(brick, "more", 300, "sales"))  # any case
    with queries() as large:
        [reach] = outcomes.need_reach(db_session, world.academy)
    assert small.count == large.count == 4
    assert (reach.reached, reach.completed) == (312, 156)
    assert (reach.applied_kind, reach.applied_answers, reach.applied_yes) == (
        EvaluationKind.TRANSFER_90, 4, 1)  # fmt: skip
    assert reach.applied_share == 0.25 and reach.applied_indicative
    db_session.commit()

    login(world.stakeholder)
    for page in ("needs/coverage", "overview"):
        html = client.get(f"/a/{world.academy.slug}/{page}").get_data(as_text=True)
        assert "Applied <small>(release-wide)</small>" in html
        found = cells(html, "RGPD for sales")
        assert found[:4] == ["Sales", "400", "312 (78%)", "156 (39%)"], found
        assert found[4].startswith("25% (Transfer at J+90, 4 answers)") and "indicative" in found[4]
