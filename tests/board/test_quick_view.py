"""A card's quick view: the fragment the board's dialog shows, and its JSON edit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_brick
from tracker.backlog.models import Activity, Brick, Comment
from tracker.db import utcnow


def quick_url(world, number: int) -> str:
    return f"/a/{world.academy.slug}/board/{number}/quick"


def post(client, world, number: int, payload, **options):
    return client.post(
        quick_url(world, number), json=payload, headers={"Accept": "application/json"}, **options
    )


def test_the_quick_view_shows_the_main_fields_and_the_edit_form(client, db_session, world, login):
    b = make_brick(db_session, world, "Cyber <basics>", format="mooc", learner_minutes=90,
                   estimate_points=5, owner_id=world.designer.id)  # fmt: skip
    login(world.designer)

    response = client.get(quick_url(world, b.number))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the dialog, not a page
    assert f"<code>{b.key}</code> <span data-quick-title>Cyber &lt;basics&gt;</span>" in html
    assert "MOOC · 1 h 30" in html and "5 points" in html and "Backlog" in html
    assert f'data-version="{b.version}"' in html
    assert f'<option value="{world.designer.id}" selected>Dan Designer</option>' in html
    assert f'action="/a/{world.academy.slug}/board/{b.number}/quick"' in html


def test_an_edit_of_the_title_and_owner_saves_a_new_version_and_its_history(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Old title", format="video")
    version = b.version
    login(world.designer)

    payload = {"version": version, "title": "  New title ", "owner": world.designer.id}
    response = post(client, world, b.number, payload)

    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    db_session.expire_all()
    saved = db_session.get(Brick, b.id)
    assert (saved.title, saved.owner_id, saved.version) == ("New title", world.designer.id,
                                                             data["version"])  # fmt: skip
    assert data["version"] > version and data["changed"] == ["owner_id", "title"]
    assert data["owner"] == {"id": world.designer.id, "name": "Dan Designer", "initials": "DD",
                             "colour": data["owner"]["colour"]}  # fmt: skip
    events = db_session.scalars(select(Activity).where(Activity.brick_id == b.id)).all()
    assert any(e.changes.get("title") == ["Old title", "New title"] for e in events)


def test_an_owner_can_be_taken_off(client, db_session, world, login):
    b = make_brick(db_session, world, "Owned", format="video", owner_id=world.designer.id)
    login(world.manager)

    response = post(client, world, b.number, {"version": b.version, "owner": None})

    assert response.status_code == 200 and response.get_json()["owner"] is None
    db_session.expire_all()
    assert db_session.get(Brick, b.id).owner_id is None


def test_a_stale_version_is_a_409_problem_and_changes_nothing(client, db_session, world, login):
    b = make_brick(db_session, world, "Title", format="video")
    login(world.designer)

    response = post(client, world, b.number, {"version": b.version - 1, "title": "Mine"})

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "Someone else saved this brick" in response.get_json()["detail"]
    db_session.expire_all()
    assert db_session.get(Brick, b.id).title == "Title"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "   "}, 422, "title"),
        ({"title": "x" * 201}, 422, "title"),
        ({"title": 7}, 422, "title"),
        ({"owner": "nobody"}, 422, "owner"),
        ({"owner": 999999}, 422, "owner"),
        ({"version": "three", "title": "T"}, 422, "version"),
        ({}, 400, ""),
    ],
)
def test_bad_input_names_the_field_and_is_never_a_500(
    client, db_session, world, login, payload, status, field
):
    b = make_brick(db_session, world, "Title", format="video")
    login(world.designer)

    response = post(client, world, b.number, {"version": b.version, **payload})

    assert response.status_code == status
    assert response.get_json()["field"] == field
    db_session.expire_all()
    assert db_session.get(Brick, b.id).title == "Title"


def test_an_owner_who_is_not_a_builder_is_refused(client, db_session, world, login):
    b = make_brick(db_session, world, "Title", format="video")
    login(world.designer)

    response = post(client, world, b.number, {"version": b.version, "owner": world.tester.id})

    assert response.status_code == 422 and response.get_json()["field"] == "owner"


def test_not_json_is_a_400_and_without_the_csrf_token_nothing_changes(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Title", format="video")
    login(world.designer)

    text = client.post(quick_url(world, b.number), data={"title": "x"},
                       headers={"Accept": "application/json"})  # fmt: skip
    forged = post(client, world, b.number, {"version": b.version, "title": "Forged"}, csrf=False)

    assert text.status_code == 400
    assert forged.status_code == 400
    db_session.expire_all()
    assert db_session.get(Brick, b.id).title == "Title"


def test_the_board_carries_the_dialog_and_its_script(client, db_session, world, login):
    make_brick(db_session, world, "A", format="mooc")
    login(world.designer)

    html = client.get(f"/a/{world.academy.slug}/board").get_data(as_text=True)

    assert 'id="quick-view"' in html and "js/quick-view.js" in html
    assert f'data-quick-url="/a/{world.academy.slug}/board/0/quick"' in html


# -- The definition of done, comments and history in the dialog ---------------------------------


def test_the_quick_view_shows_the_checklist_latest_comments_and_history(
    client, db_session, world, login
):
    from tracker.backlog.services import add_comment

    b = make_brick(db_session, world, "Quick look", format="video")
    for n in range(1, 6):
        add_comment(
            db_session, b, author=world.designer, body=f"Note **{n}** <b>x</b>", now=utcnow()
        )
    db_session.flush()
    login(world.manager)

    html = client.get(quick_url(world, b.number)).get_data(as_text=True)

    assert f"0 of {len(b.checklist)}" in html
    assert (
        f'action="/a/{world.academy.slug}/board/{b.number}/quick/checklist/{b.checklist[0].id}"'
        in html
    )
    # the 3 latest of 5 comments, Markdown rendered and sanitized, and a link to all of them
    assert "Note <strong>5</strong>" in html and "Note <strong>3</strong>" in html
    assert "Note <strong>2</strong>" not in html and "<b>x</b>" not in html
    assert "See all 5 comments on the brick\N{RIGHT SINGLE QUOTATION MARK}s page" in html
    assert f'action="/a/{world.academy.slug}/board/{b.number}/quick/comments"' in html
    # the 5 latest of 6 events (the creation and 5 comments), and a link to the whole history
    assert html.count('<li class="history-entry') == 5
    assert "Show the whole history (6 events)" in html


def test_a_tick_in_the_quick_view_saves_and_answers_the_dialog_again(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Tick me", format="video")
    item = b.checklist[0]
    login(world.designer)

    url = f"{quick_url(world, b.number)}/checklist/{item.id}"
    response = client.post(url, data={"done": "1"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-checklist-done="1" data-checklist-total="{len(b.checklist)}"' in html
    assert 'aria-pressed="true"' in html and "<html" not in html
    db_session.expire_all()
    assert db_session.get(type(item), item.id).done is True
    events = db_session.scalars(select(Activity).where(Activity.brick_id == b.id)).all()
    assert any(e.kind.value == "checklist" for e in events)

    # without the CSRF token nothing changes; a bad value is a 400
    assert client.post(url, data={"done": "0"}, csrf=False).status_code == 400
    assert client.post(url, data={"done": "maybe"}).status_code == 400
    db_session.expire_all()
    assert db_session.get(type(item), item.id).done is True
    assert (
        client.post(
            f"{quick_url(world, b.number)}/checklist/999999", data={"done": "1"}
        ).status_code
        == 404
    )


def test_a_comment_in_the_quick_view_is_posted_once_and_an_empty_one_keeps_the_form(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Talk", format="video")
    login(world.designer)
    url = f"{quick_url(world, b.number)}/comments"

    empty = client.post(url, data={"body": "   ", "once": "tok-1"})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)

    first = client.post(url, data={"body": "Looks *good*", "once": "tok-2"})
    again = client.post(url, data={"body": "Looks *good*", "once": "tok-2"})  # sent twice

    assert first.status_code == again.status_code == 200
    html = first.get_data(as_text=True)
    assert "Your comment is posted." in html and "Looks <em>good</em>" in html
    assert "Dan Designer" in html
    db_session.expire_all()
    assert len(db_session.scalars(select(Comment).where(Comment.brick_id == b.id)).all()) == 1


def test_the_quick_view_costs_the_same_queries_whatever_the_comments_and_history(
    client, db_session, world, login, queries
):
    from tracker.backlog.services import add_comment

    small = make_brick(db_session, world, "Small", format="video")
    big = make_brick(db_session, world, "Big", format="video")
    for n in range(40):
        add_comment(db_session, big, author=world.designer, body=f"c{n}", now=utcnow())
    db_session.flush()
    login(world.manager)
    client.get(quick_url(world, small.number))  # warm what a first request loads once

    counts = []
    for b in (small, big):
        with queries() as counter:
            assert client.get(quick_url(world, b.number)).status_code == 200
        counts.append(counter.count)

    assert counts[0] == counts[1]
