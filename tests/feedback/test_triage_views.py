"""The triage board through HTTP: columns, no-JS moves, duplicates, item to brick."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import add_brick, add_item, add_round, make_release, make_user
from tracker.backlog.models import Brick
from tracker.feedback.models import ItemStatus, Severity


@pytest.fixture
def board(db_session, world):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release)
    brick = add_brick(db_session, world.academy, release, "Intro video")
    reporter = make_user(db_session, name="Rita Reporter")
    blocking = add_item(db_session, round_, title="Sound too low", brick=brick, location="02:13",
                        severity=Severity.BLOCKING, reporter=reporter)  # fmt: skip
    idea = add_item(db_session, round_, title="Add a quiz", status=ItemStatus.ACCEPTED)
    return round_, brick, blocking, idea


def url(world, round_, suffix: str = "triage") -> str:
    return f"/a/{world.academy.slug}/rounds/{round_.id}/{suffix}"


def test_the_board_shows_items_in_their_columns_without_reporters(
    client, login, world, board
) -> None:
    round_, brick, _, _ = board
    login(world.designer)

    page = client.get(url(world, round_)).get_data(as_text=True)

    new_column = page[page.index('id="column-new"') : page.index('id="column-accepted"')]
    accepted = page[page.index('id="column-accepted"') : page.index('id="column-planned"')]
    assert "Sound too low" in new_column and "02:13" in new_column and brick.key in new_column
    assert "Add a quiz" in accepted
    assert "Rita" not in page


def test_filters_narrow_the_board(client, login, world, board) -> None:
    round_, _, _, _ = board
    login(world.manager)

    page = client.get(url(world, round_) + "?severity=blocking&kind=bogus").get_data(as_text=True)

    shown = page[page.index('class="triage-board"') :]
    assert "Sound too low" in shown
    assert "Add a quiz" not in shown


def test_moving_an_item_without_javascript(client, login, db_session, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.designer)

    response = client.post(
        url(world, round_, f"items/{blocking.id}/move") + "?severity=blocking",
        data={f"item{blocking.id}-status": "planned"},
    )

    assert response.status_code == 303
    assert response.location.endswith(f"triage?severity=blocking#item-{blocking.id}")
    db_session.refresh(blocking)
    assert blocking.status == ItemStatus.PLANNED
    page = client.get(url(world, round_)).get_data(as_text=True)
    assert "Dan Designer" in page  # the history says who


def test_a_duplicate_needs_its_original(client, login, db_session, world, board) -> None:
    round_, _, blocking, idea = board
    login(world.manager)

    refused = client.post(
        url(world, round_, f"items/{idea.id}/move"), data={f"item{idea.id}-status": "duplicate"}
    )
    accepted = client.post(
        url(world, round_, f"items/{idea.id}/move"),
        data={f"item{idea.id}-status": "duplicate", f"item{idea.id}-duplicate_of": blocking.id},
    )

    assert refused.status_code == 422
    assert "Choose the item this one repeats." in refused.get_data(as_text=True)
    assert accepted.status_code == 303
    db_session.refresh(idea)
    assert (idea.status, idea.duplicate_of_id) == (ItemStatus.DUPLICATE, blocking.id)


def test_a_bad_status_is_a_form_error(client, login, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.manager)

    response = client.post(
        url(world, round_, f"items/{blocking.id}/move"), data={f"item{blocking.id}-status": "gone"}
    )

    assert response.status_code == 422


def test_posting_without_the_csrf_token_is_refused(client, login, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.manager)

    response = client.post(
        url(world, round_, f"items/{blocking.id}/move"),
        data={f"item{blocking.id}-status": "done"},
        csrf=False,
    )

    assert response.status_code == 400


def test_a_designer_turns_an_item_into_a_brick(client, login, db_session, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.designer)

    response = client.post(
        url(world, round_, f"items/{blocking.id}/brick"),
        data={f"item{blocking.id}-title": "Louder sound", f"item{blocking.id}-format": "video"},
    )

    assert response.status_code == 303
    db_session.refresh(blocking)
    brick = db_session.scalar(select(Brick).where(Brick.id == blocking.created_brick_id))
    assert brick is not None and brick.title == "Louder sound"
    assert f"/rounds/{round_.id}/triage#item-{blocking.id}" in brick.description
    page = client.get(url(world, round_)).get_data(as_text=True)
    assert brick.key in page


def test_a_bad_brick_form_keeps_what_was_typed(client, login, db_session, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.manager)

    response = client.post(
        url(world, round_, f"items/{blocking.id}/brick"),
        data={f"item{blocking.id}-title": "Kept title", f"item{blocking.id}-format": "hologram"},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Kept title"' in page
    db_session.refresh(blocking)
    assert blocking.created_brick_id is None


def test_an_item_of_another_round_is_not_found(client, login, db_session, world, board) -> None:
    round_, _, _, _ = board
    other = add_item(db_session, add_round(db_session, world.academy))
    login(world.manager)

    response = client.post(
        url(world, round_, f"items/{other.id}/move"), data={f"item{other.id}-status": "done"}
    )

    assert response.status_code == 404


def test_a_brick_form_sent_twice_makes_one_brick(client, login, db_session, world, board) -> None:
    round_, _, blocking, _ = board
    login(world.designer)
    page = client.get(url(world, round_)).get_data(as_text=True)
    token = re.search(rf'name="item{blocking.id}-once" type="hidden" value="([^"]+)"', page)
    assert token is not None
    data = {
        f"item{blocking.id}-title": "Louder sound",
        f"item{blocking.id}-format": "video",
        f"item{blocking.id}-once": token.group(1),
    }

    first = client.post(url(world, round_, f"items/{blocking.id}/brick"), data=data)
    second = client.post(url(world, round_, f"items/{blocking.id}/brick"), data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    made = db_session.scalars(select(Brick).where(Brick.title == "Louder sound")).all()
    assert len(made) == 1
    assert made[0].sprint_id is None  # triage never touches a sprint's scope
