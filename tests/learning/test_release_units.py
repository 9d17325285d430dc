"""The release page's learners by business unit: people counted once over the release's bricks
(their unit over all their facts), the k >= 5 rule applied to people, not to enrolments; and
the brick page shows its release's evaluations, marked as the release's."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import insert

from tests.factories import make_release
from tests.factories.backlog import add_bricks
from tracker.learning import evaluations, outcomes, services
from tracker.learning.models import EvaluationKind, FactSource, FactVerb, LearnerFact
from tracker.learning.outcomes import UnitOutcome

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def fact(brick, learner: str, unit: str, *, completed: bool) -> dict:
    return {
        "academy_id": brick.academy_id, "brick_id": brick.id, "source": FactSource.XAPI,
        "source_id": f"{'c' if completed else 'l'}-{brick.id}-{learner}",
        "learner_key": services.learner_key("k", learner), "business_unit": unit,
        "occurred_at": T0, "verb": FactVerb.PASSED if completed else FactVerb.LAUNCHED,
        "score": None, "seconds": None, "completed": completed,
    }  # fmt: skip


def test_units_count_people_once_and_hide_small_units_by_people(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    first, second = add_bricks(db_session, world.academy, release, 2)
    rows = []
    for i in range(3):  # 3 HR people on both bricks: 6 enrolments, but 3 people (< 5)
        rows += [fact(first, f"hr{i}", "HR", completed=False),
                 fact(second, f"hr{i}", "HR", completed=True)]  # fmt: skip
    for i in range(8):  # 8 Sales people; the completion of the first 5 names no unit
        rows.append(fact(first, f"s{i}", "Sales", completed=False))
        if i < 5:
            rows.append(fact(second, f"s{i}", "", completed=True))
    for i in range(2):  # 2 IT people: with HR, 5 "other units"
        rows.append(fact(second, f"it{i}", "IT", completed=False))
    db_session.execute(insert(LearnerFact), rows)

    with queries() as counted:
        found = outcomes.release_units(db_session, [first, second])
    assert counted.count == 1
    assert found.units == [UnitOutcome("Sales", 8, 5)]
    assert found.others == UnitOutcome("", 5, 3)  # HR (3, all completed) and IT (2)
    # Per brick, the enrolments: brick 2 has HR 3 + Sales 5 (no unit on their facts there) + 2.
    db_session.commit()

    login(world.manager)
    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    table = html[html.index("Learners by business unit (each person once") :].split("</table>")[0]
    assert re.search(r">Sales</th><td[^>]*>8</td><td[^>]*>5</td><td[^>]*>62.5%</td>", table)
    assert "Other units (fewer than 5 learners each)" in table and ">HR<" not in table
    brick_page = f"/a/{world.academy.slug}/bricks/{first.number}"
    assert "(release-wide)" not in client.get(brick_page).get_data(as_text=True)  # none yet


def test_the_brick_page_shows_its_release_evaluations_in_constant_queries(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    brick = add_bricks(db_session, world.academy, release, 1)[0]
    reaction, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=T0
    )
    transfer, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.TRANSFER_30, now=T0
    )

    def answer(count: int) -> None:
        for n in range(count):
            for evaluation in (reaction, transfer):
                values = {f"q{q.id}": {"rating": "5", "nps": "10", "yes_no": "1" if n % 2 else "0",
                                       "text": ""}[q.kind.value]
                          for q in evaluations.questions_of(db_session, evaluation)}  # fmt: skip
                evaluations.submit_answers(db_session, evaluation, values, now=T0)
        db_session.commit()

    answer(4)
    login(world.manager)
    page = f"/a/{world.academy.slug}/bricks/{brick.number}"
    client.get(page)
    with queries() as small:
        client.get(page)
    answer(40)
    client.get(page)  # as above: the commit expired the session's rows
    with queries() as large:
        html = client.get(page).get_data(as_text=True)
    assert small.count == large.count
    shown = html[html.index("Evaluations after the release (release-wide)") :]
    reaction_row = shown[shown.index(">Reaction at J+0</th>") :].split("</tr>")[0]
    transfer_row = shown[shown.index(">Transfer at J+30</th>") :].split("</tr>")[0]
    # 44 answers each: CSAT 100 %, NPS +100; yes for the odd n: 2 of 4 and 20 of 40: 50 %.
    assert re.findall(r"<td[^>]*>([^<]*)", reaction_row)[:4] == ["44", "100%", "+100", "50%"]
    assert re.findall(r"<td[^>]*>([^<]*)", transfer_row)[:4] == ["44", "—", "—", "50%"]
