"""Where the gate and the item-to-brick link show up on other areas' pages."""

from __future__ import annotations

import datetime as dt

from tests.factories import (
    add_invitation,
    add_item,
    add_question,
    add_round,
    make_release,
    make_user,
    respond,
)
from tracker.feedback import triage
from tracker.feedback.gate import evaluate_gate
from tracker.feedback.models import GateMetric, QuestionKind

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_release_page_shows_the_last_rounds_gate_snapshot(
    client, login, db_session, world
) -> None:
    release = make_release(db_session, world.academy)
    first = add_round(db_session, world.academy, release, title="Round one")
    evaluate_gate(db_session, first, now=NOW)
    last = add_round(db_session, world.academy, release, title="Round two", gate_min_responses=1)
    rating = add_question(db_session, last, QuestionKind.RATING, gate_metric=GateMetric.CSAT)
    add_invitation(db_session, last, make_user(db_session), completed=True)
    respond(db_session, last, {rating: 5})
    evaluate_gate(db_session, last, now=NOW + dt.timedelta(minutes=1))
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)

    assert "Release gate" in page
    assert "Round two" in page and "Round one" not in page
    assert "No data" in page  # no NPS question in that round
    assert "100%" in page and "100\u00a0%" not in page  # English: no French space


def test_a_release_without_a_closed_round_shows_no_gate(client, login, db_session, world) -> None:
    release = make_release(db_session, world.academy)
    add_round(db_session, world.academy, release)
    login(world.manager)

    page = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)

    assert "Release gate" not in page


def test_the_brick_page_links_back_to_its_feedback_item(client, login, db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    item = add_item(db_session, round_, title="Too long")
    brick = triage.create_brick_from_item(
        db_session, world.academy, round_, item,
        actor=world.manager, title="Shorter video", format="video", item_url="/x",
        now=NOW,
    )  # fmt: skip
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/bricks/{brick.number}").get_data(as_text=True)

    assert f"From feedback item #{item.id}" in page
    assert f"/rounds/{round_.id}/triage#item-{item.id}" in page


def test_the_round_page_shows_its_snapshot_and_links_to_results_and_items(
    client, login, db_session, world
) -> None:

    round_ = add_round(db_session, world.academy, title="Closed round")
    login(world.manager)
    before = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/").get_data(as_text=True)
    evaluate_gate(db_session, round_, now=NOW)

    after = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/").get_data(as_text=True)

    assert "Release gate" not in before
    assert "Release gate" in after
    assert f"/rounds/{round_.id}/results" in after
    assert f"/rounds/{round_.id}/triage" in after
