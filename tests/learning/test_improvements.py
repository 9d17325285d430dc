"""The loop starts again: the academy's thresholds, the figures of a brick under them (shown on
the brick and release pages, indicative under 30 learners), and the improvement brick they
propose, created once, linked both ways and in both histories."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_brick, make_release
from tests.learning.test_outcomes import add_facts
from tracker.academies.models import StageCategory
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.errors import DomainError
from tracker.learning import evaluations, improvements, outcomes, services
from tracker.learning.improvements import (
    COMPLETION,
    OBJECTIVE_SCORE,
    OBJECTIVE_SURVEY,
    SATISFACTION,
    Shortfall,
)
from tracker.learning.models import EvaluationKind

NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def learners_of(n: int, completed: int, *, prefix: str = "u", score=None) -> list:
    """n learners of Sales, the first `completed` of them completed (a score if given)."""
    return [(f"{prefix}{i}", "Sales", i < completed, score(i) if score else None, 600)
            for i in range(n)]  # fmt: skip


def set_all(db_session, world, completion=60, satisfaction=70, objective=50):
    services.set_thresholds(
        db_session, world.academy, now=NOW, min_completion_rate=completion,
        min_satisfaction=satisfaction, min_objective_share=objective,
    )  # fmt: skip


def reaction(db_session, world, release, ratings: list[int], yes: int | None = None,
             evaluation=None):  # fmt: skip
    """The release's J+0 reaction (made unless given) with one form per rating (the usefulness
    4, the NPS 9); the first `yes` forms intend to apply (all of them by default)."""
    if evaluation is None:
        evaluation, _token = evaluations.create_evaluation(
            db_session, world.academy, release, EvaluationKind.REACTION, now=NOW
        )
    questions = evaluations.questions_of(db_session, evaluation)
    for i, rating in enumerate(ratings):
        values = {}
        for q in questions:
            if q.measure == "csat":
                values[f"q{q.id}"] = str(rating)
            elif q.measure == "useful":
                values[f"q{q.id}"] = "4"
            elif q.measure == "nps":
                values[f"q{q.id}"] = "9"
            elif q.measure == "intention":
                values[f"q{q.id}"] = "1" if yes is None or i < yes else "0"
        evaluations.submit_answers(db_session, evaluation, values, now=NOW)
    return evaluation


def shortfalls(db_session, world, bricks):
    settings = services.read_settings(db_session, world.academy)
    return improvements.brick_shortfalls(
        db_session, settings, bricks, outcomes.brick_outcomes(db_session, bricks),
        outcomes.objective_outcomes(db_session, bricks),
    )  # fmt: skip


# -- Thresholds -------------------------------------------------------------------------------


def test_thresholds_are_checked_and_saved(client, db_session, world, login):
    with pytest.raises(DomainError) as refused:
        services.set_thresholds(db_session, world.academy, now=NOW, min_completion_rate=101)
    assert refused.value.field == "min_completion_rate"

    login(world.manager)
    url = f"/a/{world.academy.slug}/learning/thresholds"
    bad = client.post(url, data={"min_completion_rate": "150", "min_satisfaction": "-1",
                                 "min_objective_share": "half"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    for name in ("min_completion_rate", "min_satisfaction", "min_objective_share"):
        assert f'id="{name}-error"' in html or f'aria-describedby="{name}-error' in html, name
    assert services.read_settings(db_session, world.academy).min_completion_rate is None

    good = client.post(url, data={"min_completion_rate": "60", "min_satisfaction": "",
                                  "min_objective_share": "50"})  # fmt: skip
    assert good.status_code == 303
    saved = services.read_settings(db_session, world.academy)
    assert (saved.min_completion_rate, saved.min_satisfaction, saved.min_objective_share) == (
        60, None, 50,
    )  # fmt: skip
    page = client.get(f"/a/{world.academy.slug}/learning/").get_data(as_text=True)
    assert 'name="min_completion_rate"' in page and 'value="60"' in page

    login(world.designer)
    assert client.post(url, data={"min_completion_rate": "10"}).status_code == 403


# -- Shortfalls ---------------------------------------------------------------------------------


def test_shortfalls_with_hand_worked_figures(db_session, world):
    release = make_release(db_session, world.academy)
    weak = make_brick(
        db_session,
        world,
        "Phishing",
        release_id=release.id,
        objectives=[("Spot a phishing e-mail", "apply"), ("Report it", "remember")],
    )
    small = make_brick(db_session, world, "Passwords", release_id=release.id)
    fine = make_brick(db_session, world, "Badges", release_id=release.id)  # fmt: skip
    spot, report = weak.objectives
    services.set_objective_thresholds(
        db_session, weak, {spot.id: 70, report.id: None},
        {spot.id: "", report.id: "reaction:intention"},
    )  # fmt: skip
    # Phishing: 40 learners, 14 completed: 35 % (< 60 %). 30 scored, 9 at 70 % or more: 30 %.
    add_facts(db_session, weak, learners_of(40, 14, score=lambda i: 0.9 if i < 9 else 0.5)[:30]
              + learners_of(10, 0, prefix="n"))  # fmt: skip
    # Passwords: 10 learners, 2 completed: 20 %, on fewer than 30 learners (indicative).
    add_facts(db_session, small, learners_of(10, 2, prefix="p"))
    # Badges: 30 learners, 24 completed: 80 %.
    add_facts(db_session, fine, learners_of(30, 24, prefix="b"))
    # J+0: 40 forms, ratings 5 x 20, 3 x 20: CSAT 50 % (< 70 %); 12 intend to apply: 30 %.
    j0 = reaction(db_session, world, release, [5] * 20 + [3] * 20, yes=12)
    set_all(db_session, world, completion=60, satisfaction=70, objective=50)

    found = shortfalls(db_session, world, [weak, small, fine])
    listed = [(s.kind, round(s.value, 2), s.threshold, s.count, s.objective, s.indicative)
              for s in found[weak.id].shortfalls]  # fmt: skip
    assert listed == [
        (COMPLETION, 35.0, 60, 40, "", False),
        (SATISFACTION, 50.0, 70, 40, "", False),
        (OBJECTIVE_SCORE, 30.0, 50, 30, "Spot a phishing e-mail", False),
        (OBJECTIVE_SURVEY, 30.0, 50, 40, "Report it", False),
    ]
    assert found[weak.id].proposes and found[weak.id].improvement is None
    # Passwords: its completion is indicative (10 learners); the release's CSAT is solid.
    assert [(s.kind, s.value, s.indicative) for s in found[small.id].shortfalls] == [
        (COMPLETION, 20.0, True), (SATISFACTION, 50.0, False),
    ]  # fmt: skip
    # Badges is over every threshold but the release's satisfaction.
    assert [s.kind for s in found[fine.id].shortfalls] == [SATISFACTION]

    # With no CSAT threshold, Passwords has only an indicative figure: it proposes nothing.
    services.set_thresholds(db_session, world.academy, now=NOW, min_satisfaction=None)
    found = shortfalls(db_session, world, [weak, small, fine])
    assert not found[small.id].proposes and fine.id not in found
    # 40 more forms of 4 and 5: CSAT (20 + 40) / 80 = 75 %, over the threshold of 70 %.
    reaction(db_session, world, release, [4] * 20 + [5] * 20, evaluation=j0)
    services.set_thresholds(db_session, world.academy, now=NOW, min_satisfaction=70)
    found = shortfalls(db_session, world, [weak])
    assert SATISFACTION not in {s.kind for s in found[weak.id].shortfalls}


def test_no_threshold_no_shortfall_and_no_query(db_session, world, queries):
    brick = make_brick(db_session, world, "Cyber")
    add_facts(db_session, brick, learners_of(40, 0))
    settings = services.read_settings(db_session, world.academy)
    by_brick = outcomes.brick_outcomes(db_session, [brick])
    with queries() as counted:
        found = improvements.brick_shortfalls(db_session, settings, [brick], by_brick, {})
    assert found == {} and counted.count == 0


def test_shortfall_queries_do_not_grow_with_the_bricks(db_session, world, queries):
    release = make_release(db_session, world.academy)
    set_all(db_session, world)
    reaction(db_session, world, release, [2] * 5)
    bricks = [make_brick(db_session, world, f"B{i}", release_id=release.id) for i in range(6)]
    for brick in bricks:
        add_facts(db_session, brick, learners_of(30, 3, prefix=f"x{brick.id}-"))
    settings = services.read_settings(db_session, world.academy)
    counts = []
    for listed in (bricks[:1], bricks):
        by_brick = outcomes.brick_outcomes(db_session, listed)
        with queries() as counted:
            found = improvements.brick_shortfalls(db_session, settings, listed, by_brick, {})
        counts.append(counted.count)
        assert all(found[b.id].proposes for b in listed)
    assert counts[0] == counts[1] == 5  # the reactions (4), the open improvements (1)


# -- The improvement brick ----------------------------------------------------------------------


def weak_brick(db_session, world):
    release = make_release(db_session, world.academy)
    brick = make_brick(db_session, world, "Phishing", release_id=release.id)
    add_facts(db_session, brick, learners_of(40, 14))
    set_all(db_session, world, completion=60, satisfaction=None, objective=None)
    return brick, release


def improvements_of(db_session, brick) -> list[Brick]:
    return list(db_session.scalars(select(Brick).where(Brick.improves_id == brick.id)))


def test_the_button_creates_one_improvement_brick(client, db_session, world, login):
    source, release = weak_brick(db_session, world)
    login(world.manager)
    slug = world.academy.slug
    page = client.get(f"/a/{slug}/bricks/{source.number}").get_data(as_text=True)
    assert (
        "Under the academy\N{RIGHT SINGLE QUOTATION MARK}s thresholds" in page
        and "Propose an improvement brick" in page
    )
    assert "35%" in page and "60%" in page
    release_page = client.get(f"/a/{slug}/releases/{release.id}/").get_data(as_text=True)
    assert (
        f"{source.key} under the academy\N{RIGHT SINGLE QUOTATION MARK}s thresholds" in release_page
    )

    url = f"/a/{slug}/bricks/{source.number}/improvement"
    first = client.post(url)
    second = client.post(url)
    assert first.status_code == second.status_code == 303
    made = improvements_of(db_session, source)
    assert len(made) == 1
    improvement = made[0]
    assert first.headers["Location"].endswith(f"/bricks/{improvement.number}")
    assert second.headers["Location"] == first.headers["Location"]
    assert improvement.title == "Improve: Phishing"
    assert f"[{source.key} Phishing](" in improvement.description
    assert f"/bricks/{source.number})" in improvement.description
    assert f"/releases/{release.id}/)" in improvement.description
    assert "Completion rate: 35%, threshold 60% (40 learners)" in improvement.description

    def history(brick):
        kind = ActivityKind.IMPROVEMENT
        return [(a.kind, a.changes) for a in db_session.scalars(
            select(Activity).where(Activity.brick_id == brick.id, Activity.kind == kind)
        )]  # fmt: skip

    assert history(source) == [(ActivityKind.IMPROVEMENT, {"improvement": [None, improvement.key]})]
    assert history(improvement) == [(ActivityKind.IMPROVEMENT, {"improves": [None, source.key]})]

    shown = client.get(f"/a/{slug}/bricks/{improvement.number}").get_data(as_text=True)
    assert f"Improves {source.key}" in shown
    assert f'href="/a/{slug}/bricks/{source.number}"' in shown
    assert "Improvement brick proposed" in shown  # its history
    page = client.get(f"/a/{slug}/bricks/{source.number}").get_data(as_text=True)
    assert "Propose an improvement brick" not in page
    assert f'href="/a/{slug}/bricks/{improvement.number}">{improvement.key}' in page
    assert "Improvement brick proposed" in page

    # Once the improvement is done, the figures (still under) propose a new one.
    done = next(s for s in world.academy.stages if s.category == StageCategory.DONE)
    improvement.stage_id = done.id
    db_session.flush()
    assert client.post(url).status_code == 303
    assert len(improvements_of(db_session, source)) == 2


def test_the_service_returns_the_open_improvement(db_session, world):
    source, _release = weak_brick(db_session, world)
    found = shortfalls(db_session, world, [source])[source.id].shortfalls
    made, created = improvements.propose_improvement(
        db_session, world.academy, source, found, actor=world.manager, brick_url="b",
        release_url="r", now=NOW,
    )  # fmt: skip
    again, created_again = improvements.propose_improvement(
        db_session, world.academy, source, found, actor=world.designer, brick_url="b",
        release_url="r", now=NOW,
    )  # fmt: skip
    assert created and not created_again and again.id == made.id
    assert db_session.scalar(select(func.count()).where(Brick.improves_id == source.id)) == 1
    # Indicative figures alone propose nothing.
    small = make_brick(db_session, world, "Small")
    with pytest.raises(DomainError):
        improvements.propose_improvement(
            db_session, world.academy, small, [Shortfall(COMPLETION, 10.0, 60, 12)],
            actor=world.manager, brick_url="b", release_url="", now=NOW,
        )  # fmt: skip
    assert improvements_of(db_session, small) == []


def test_who_may_propose(client, db_session, world, login):
    source, _release = weak_brick(db_session, world)
    slug = world.academy.slug
    url = f"/a/{slug}/bricks/{source.number}/improvement"
    # Designers create bricks (the permission model: BRICK_CREATE): they see the button too.
    login(world.designer)
    assert "Propose an improvement brick" in client.get(
        f"/a/{slug}/bricks/{source.number}"
    ).get_data(as_text=True)
    for name in ("stakeholder", "tester", "vendor"):
        login(getattr(world, name))
        assert client.post(url).status_code == 403, name
    assert improvements_of(db_session, source) == []
    login(world.designer)
    assert client.post(url).status_code == 303
    assert len(improvements_of(db_session, source)) == 1


def test_indicative_figures_show_without_a_button(client, db_session, world, login):
    brick = make_brick(db_session, world, "Small")
    add_facts(db_session, brick, learners_of(10, 2))
    set_all(db_session, world, completion=60, satisfaction=None, objective=None)
    login(world.manager)
    slug = world.academy.slug
    page = client.get(f"/a/{slug}/bricks/{brick.number}").get_data(as_text=True)
    assert "Under the academy\N{RIGHT SINGLE QUOTATION MARK}s thresholds" in page and "20%" in page
    assert "Propose an improvement brick" not in page
    response = client.post(f"/a/{slug}/bricks/{brick.number}/improvement")
    assert response.status_code == 303 and improvements_of(db_session, brick) == []
