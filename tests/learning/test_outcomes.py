"""Outcomes: per brick (completion, median time beside the planned duration, scores, business
units with k >= 5), per release, per need (people reached against the headcount); aggregates
only for stakeholders; a number of queries that does not grow with the data."""

from __future__ import annotations

from sqlalchemy import insert

from tests.factories import make_brick, make_need, make_release
from tests.factories.backlog import add_bricks
from tracker.backlog.needs_services import link_brick
from tracker.db import utcnow
from tracker.learning import outcomes, services
from tracker.learning.models import FactSource, FactVerb, LearnerFact
from tracker.learning.outcomes import UnitOutcome, forget_kept, hide_small_units


def add_facts(db_session, brick, learners: list[tuple[str, str, bool, float | None, int | None]]):
    """(learner, unit, completed, score, seconds) per learner: a launch, and a completion."""
    rows = []
    for learner, unit, completed, score, seconds in learners:
        key = services.learner_key("k", f"{brick.id}-{learner}")
        common = {"academy_id": brick.academy_id, "brick_id": brick.id, "source": FactSource.XAPI,
                  "learner_key": key, "business_unit": unit, "occurred_at": utcnow()}  # fmt: skip
        rows.append({**common, "source_id": f"l-{brick.id}-{learner}", "verb": FactVerb.LAUNCHED,
                     "score": None, "seconds": None, "completed": False})  # fmt: skip
        if completed or score is not None:
            rows.append({**common, "source_id": f"c-{brick.id}-{learner}",
                         "verb": FactVerb.PASSED if completed else FactVerb.FAILED,
                         "score": score, "seconds": seconds, "completed": completed})  # fmt: skip
    db_session.execute(insert(LearnerFact), rows)


def learners(n: int, unit: str = "Sales", *, prefix: str = "u") -> list:
    return [(f"{prefix}{i}", unit, i % 2 == 0, (50 + i % 50) / 100, 600 + 60 * i) for i in range(n)]


def test_a_brick_outcome(db_session, world):
    brick = make_brick(db_session, world, "Cyber", learner_minutes=30)
    add_facts(db_session, brick, [
        ("a", "Sales", True, 0.8, 1200), ("b", "Sales", True, 0.6, 1800),
        ("c", "Sales", False, 0.4, None), ("d", "Sales", False, None, None),
        ("e", "Sales", True, None, 2400), ("f", "HR", True, 1.0, 600),
        ("g", "HR", False, None, None), ("h", "IT", False, None, None),
        ("i", "IT", True, None, 3000), ("j", "", False, None, None),
    ])  # fmt: skip
    found = outcomes.brick_outcomes(db_session, [brick])[brick.id]
    assert (found.enrolled, found.completed) == (10, 5)
    assert found.completion_rate == 0.5
    assert found.median_seconds == 1800  # of 600, 1200, 1800, 2400, 3000
    assert found.planned_minutes == 30 and found.median_minutes == 30
    assert found.scored == 4 and abs(found.mean_score - 0.7) < 1e-9
    assert abs(found.median_score - 0.7) < 1e-9  # of 0.4, 0.6, 0.8, 1.0
    assert found.indicative  # fewer than 30 learners
    # Sales (5) is shown; HR (2) and IT (2) together are 4 < 5: Sales joins them.
    assert found.units == []
    assert found.others == UnitOutcome("", 9, 5)


def test_small_units_are_hidden_with_the_next_smallest():
    units = [UnitOutcome("A", 20, 10), UnitOutcome("B", 6, 3), UnitOutcome("C", 3, 1)]
    shown, others = hide_small_units(units)
    assert [u.business_unit for u in shown] == ["A"]
    assert others == UnitOutcome("", 9, 4)
    shown, others = hide_small_units([UnitOutcome("A", 5, 1), UnitOutcome("B", 7, 2)])
    assert [u.business_unit for u in shown] == ["A", "B"] and others is None
    shown, others = hide_small_units([UnitOutcome("A", 3, 1)])
    assert shown == [] and others is None  # fewer than 5 in all: nothing


def test_query_count_does_not_grow_with_the_data(db_session, world, queries):
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 3)
    add_facts(db_session, bricks[0], learners(10))
    with queries() as small:
        outcomes.release_outcome(db_session, bricks)
    for brick in bricks:
        add_facts(db_session, brick, learners(400, prefix="big"))
        add_facts(db_session, brick, learners(30, "HR", prefix="hr"))
    with queries() as large:
        found = outcomes.release_outcome(db_session, bricks)
    assert small.count == large.count == 4
    assert found.enrolments == 10 + 3 * 430


def test_the_release_page_shows_outcomes_in_constant_queries(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 2)
    add_facts(db_session, bricks[0], learners(8))
    login(world.manager)
    page = f"/a/{world.academy.slug}/releases/{release.id}/"
    client.get(page)  # the first request after logging in does more (the session's touch)
    forget_kept()  # ... and its figures are kept: computed again below, as after new facts
    with queries() as small:
        first = client.get(page)
    assert first.status_code == 200
    add_facts(db_session, bricks[0], learners(300, prefix="x"))
    add_facts(db_session, bricks[1], learners(300, "HR", prefix="y"))
    db_session.commit()
    client.get(page)  # the first request after a commit does more too
    forget_kept()
    with queries() as large:
        html = client.get(page).get_data(as_text=True)
    assert small.count == large.count
    assert "Outcomes with learners" in html and "608 enrolments" in html
    brick_page = client.get(f"/a/{world.academy.slug}/bricks/{bricks[1].number}")
    assert "Learners by business unit" in brick_page.get_data(as_text=True)


def test_need_reach_against_headcount_and_stakeholder_sees_aggregates(
    client, db_session, world, login
):
    brick = make_brick(db_session, world, "RGPD", learner_minutes=20)
    need = make_need(db_session, world, title="RGPD for sales", business_unit="Sales",
                     headcount=40)  # fmt: skip
    link_brick(db_session, need, brick, actor=world.manager, now=utcnow())
    add_facts(db_session, brick, learners(12, "Sales") + learners(9, "HR", prefix="h"))
    reach = outcomes.need_reach(db_session, world.academy)
    assert [(r.need.id, r.reached, r.completed) for r in reach] == [(need.id, 12, 6)]
    assert reach[0].reach_rate == 12 / 40

    login(world.stakeholder)
    for url in (f"/a/{world.academy.slug}/needs/coverage", f"/a/{world.academy.slug}/overview"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "People reached per need" in html and "RGPD for sales" in html
        # Aggregates only: no pseudonym, no per-brick learner figures.
        assert services.learner_key("k", f"{brick.id}-u0") not in html
    assert client.get(f"/a/{world.academy.slug}/bricks/{brick.number}").status_code == 403


def test_objectives_achieved_by_score_threshold(client, db_session, world, login, queries):
    release = make_release(db_session, world.academy)
    brick = make_brick(db_session, world, "Phishing", learner_minutes=20, release_id=release.id,
                       objectives=[("Spot a phishing e-mail", "apply"),
                                   ("Report it", "remember")])  # fmt: skip
    spot, report = brick.objectives
    login(world.designer)
    url = f"/a/{world.academy.slug}/bricks/{brick.number}/learning"
    response = client.post(url, data={"course_id": "", "activity_iris": "",
                                      f"threshold_{spot.id}": "70"})  # fmt: skip
    assert response.status_code == 303
    assert services.objective_thresholds(db_session, brick) == {spot.id: 0.7}
    bad = client.post(url, data={f"threshold_{spot.id}": "170"})
    assert bad.status_code == 422

    # 20 learners with a score: 50 %, 51 % ... 69 %, then 10 more at 70 % and above.
    scored = [(f"s{i}", "Sales", True, (50 + i) / 100, 600) for i in range(20)]
    scored += [(f"t{i}", "Sales", True, (70 + i) / 100, 600) for i in range(10)]
    add_facts(db_session, brick, [*scored, ("n1", "Sales", False, None, None)])
    with queries() as counted:
        found = outcomes.objective_outcomes(db_session, [brick])[brick.id]
    assert counted.count == 2
    assert [(x.objective.id, x.scored, x.reached) for x in found] == [(spot.id, 30, 10)]
    assert abs(found[0].share - 1 / 3) < 1e-9 and not found[0].indicative
    login(world.manager)
    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    assert "Objectives achieved" in html and "Spot a phishing e-mail" in html
    assert report.statement not in html.split("Objectives achieved")[1].split("</table>")[0]


def test_the_release_page_reads_the_facts_once_until_new_facts_are_stored(
    client, db_session, world, login, queries
):
    release = make_release(db_session, world.academy)
    bricks = add_bricks(db_session, world.academy, release, 2)
    spot = make_brick(db_session, world, "Spot", release_id=release.id,
                      objectives=[("Spot a phishing e-mail", "apply")]).objectives[0]  # fmt: skip
    services.set_objective_thresholds(db_session, spot.brick, {spot.id: 70}, {spot.id: ""})
    add_facts(db_session, bricks[0], learners(40))
    add_facts(db_session, spot.brick, [(f"s{i}", "Sales", True, 0.8, 600) for i in range(3)])
    db_session.commit()
    login(world.manager)
    page = f"/a/{world.academy.slug}/releases/{release.id}/"
    client.get(page)  # the first request after logging in does more (the session's touch)
    forget_kept()
    with queries() as first:
        assert "43 enrolments" in client.get(page).get_data(as_text=True)
    with queries() as again:
        html = client.get(page).get_data(as_text=True)
    # Read again with nothing stored in between: the facts' figures are kept (the brick
    # outcomes' four queries and the objectives' score counts are not asked again).
    assert "43 enrolments" in html and again.count == first.count - 5

    # New facts stored (and committed): the counters moved, the figures are computed afresh.
    add_facts(db_session, bricks[1], learners(7, prefix="new"))
    add_facts(db_session, spot.brick, [(f"t{i}", "Sales", True, 0.5, 600) for i in range(2)])
    db_session.commit()
    assert "52 enrolments" in client.get(page).get_data(as_text=True)
    forget_kept()  # the first request after a commit does more: measured on the next one
    with queries() as after:
        html = client.get(page).get_data(as_text=True)
    assert "52 enrolments" in html and after.count == first.count
    found = outcomes.objective_outcomes(db_session, [spot.brick])[spot.brick.id]
    assert [(x.scored, x.reached) for x in found] == [(5, 3)]
