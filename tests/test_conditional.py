"""Conditional requests: the pages read far more often than they change send a validator (ETag)
made from the academy's change counters (tracker/changes.py) and answer 304 without drawing
anything when it comes back; any change that the page shows changes it; it is the viewer's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import bearer, personal_token
from tests.factories import SECRET, change_brick, make_brick, make_sprint, make_testers, run_round
from tests.factories.board import stage_named
from tracker.backlog.checklists import tick_checklist_item
from tracker.backlog.models import ChecklistItem
from tracker.board import services as board_services
from tracker.changes import SHARED, counters
from tracker.db import utcnow
from tracker.releases import feed, notes, services
from tracker.releases.models import ReleaseState


@dataclass
class Pages:
    brick: Any
    sprint: Any
    round: Any
    release: Any


@pytest.fixture
def pages(db_session, world) -> Pages:
    brick = make_brick(db_session, world, "Accueil des nouveaux", format="mooc")
    db_session.add(ChecklistItem(brick_id=brick.id, position=0, label="Relu"))
    sprint = make_sprint(db_session, world, "Sprint 1")
    tested = services.create_release(
        db_session, world.academy, name="Incrément 1", actor=world.manager, now=utcnow()
    )
    testers = make_testers(db_session, world.academy, 2)
    run = run_round(
        db_session, world.academy, tested, world.manager, testers, secret_key=SECRET,
        rating=5, nps=10,
    )  # fmt: skip
    tested.state = ReleaseState.APPROVED
    notes.publish_notes(
        db_session, tested, body="# Notes", actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip
    db_session.commit()
    return Pages(brick, sprint, run.round, tested)


PAGES: dict[str, Callable[[Any, Pages], str]] = {
    "board": lambda w, p: f"/a/{w.academy.slug}/board",
    "backlog": lambda w, p: f"/a/{w.academy.slug}/backlog",
    "sprint": lambda w, p: f"/a/{w.academy.slug}/sprints/{p.sprint.id}/",
    "reports": lambda w, p: f"/a/{w.academy.slug}/reports",
    "results": lambda w, p: f"/a/{w.academy.slug}/rounds/{p.round.id}/results",
    "roadmap": lambda w, p: f"/a/{w.academy.slug}/roadmap",
    "notes": lambda w, p: f"/a/{w.academy.slug}/releases/{p.release.id}/notes",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_comes_back_304_with_its_validator_and_nothing_drawn(
    page, client, db_session, world, login, pages, queries
):
    login(world.manager)
    url = PAGES[page](world, pages)
    first = client.get(url)
    tag = first.headers.get("ETag")

    with queries() as counter:
        again = client.get(url, headers={"If-None-Match": tag})

    assert first.status_code == 200 and tag
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert counter.count <= 5  # the session, the person, the academy, the counters


def _change_brick_title(db_session, world, pages):
    change_brick(db_session, pages.brick, world.manager, title="Accueil (refait)")


def _tick(db_session, world, pages):
    item = db_session.query(ChecklistItem).filter_by(brick_id=pages.brick.id, label="Relu").one()
    tick_checklist_item(db_session, pages.brick, item, done=True, actor=world.manager, now=utcnow())


def _move(db_session, world, pages):
    board_services.move_brick(
        db_session, pages.brick, stage_named(world, "Design"), 1, actor=world.manager,
        expected_version=pages.brick.version, now=utcnow(),
    )  # fmt: skip


def _rename_sprint(db_session, world, pages):
    pages.sprint.goal = "Un autre objectif"


def _rename_round(db_session, world, pages):
    pages.round.title = "Bêta renommée"


def _rename_release(db_session, world, pages):
    pages.release.name = "Incrément 1 bis"


def _rename_person(db_session, world, pages):
    world.designer.display_name = "Camille Autre"


CHANGES = {
    "board": [_change_brick_title, _tick, _move, _rename_person],
    "backlog": [_change_brick_title, _move],
    "sprint": [_rename_sprint, _move],
    "reports": [_move],
    "results": [_rename_round],
    "roadmap": [_rename_release],
    "notes": [_rename_release],
}


@pytest.mark.parametrize(
    ("page", "change"), [(page, change) for page, found in CHANGES.items() for change in found]
)
def test_a_change_that_the_page_shows_changes_its_validator(
    page, change, client, db_session, world, login, pages
):
    login(world.manager)
    url = PAGES[page](world, pages)
    tag = client.get(url).headers["ETag"]

    change(db_session, world, pages)
    db_session.commit()
    again = client.get(url, headers={"If-None-Match": tag})

    assert again.status_code == 200
    assert again.headers["ETag"] != tag


def test_a_change_in_another_academy_leaves_the_validator_alone(
    client, db_session, world, login, pages
):
    login(world.manager)
    url = PAGES["board"](world, pages)
    tag = client.get(url).headers["ETag"]
    own, shared = counters(db_session, world.academy.id)

    make_brick(db_session, world.other_academy, "Ailleurs", format="mooc")
    db_session.commit()

    assert counters(db_session, world.academy.id) == (own, shared)
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304


def test_the_validator_is_the_viewers_own_and_in_their_language(
    client, db_session, world, login, pages
):
    url = PAGES["board"](world, pages)
    login(world.manager)
    manager = client.get(url).headers["ETag"]
    world.manager.locale = "en" if world.manager.locale != "en" else "fr"
    db_session.commit()
    other_language = client.get(url).headers["ETag"]
    client.post("/logout")
    login(world.designer)

    designer = client.get(url, headers={"If-None-Match": manager})

    assert other_language != manager
    assert designer.status_code == 200 and designer.headers["ETag"] != manager


def test_a_page_showing_a_message_gets_no_validator(client, db_session, world, login, pages):
    login(world.manager)
    url = PAGES["board"](world, pages)
    tag = client.get(url).headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Fait.")]

    shown = client.get(url, headers={"If-None-Match": tag})

    assert shown.status_code == 200 and "ETag" not in shown.headers
    assert "Fait." in shown.get_data(as_text=True)


def test_a_change_that_rolls_back_counts_nothing(db_session, world, pages):
    before = counters(db_session, world.academy.id)

    with pytest.raises(RuntimeError), db_session.begin_nested():
        change_brick(db_session, pages.brick, world.manager, title="Jamais")
        raise RuntimeError
    db_session.commit()

    assert counters(db_session, world.academy.id)[0] == before[0]


def test_pages_that_change_on_every_request_keep_no_store(client, db_session, world, login):
    login(world.manager)

    members = client.get(f"/a/{world.academy.slug}/members")

    assert members.headers["Cache-Control"] == "no-store" and "ETag" not in members.headers


# -- The Atom feed -------------------------------------------------------------------------------


def test_the_feed_answers_304_to_its_validator_and_to_if_modified_since(
    client, db_session, world, pages
):
    token = feed.issue_feed_token(db_session, world.academy, world.stakeholder, now=utcnow())
    db_session.commit()
    url = f"/feeds/{token}.atom"
    first = client.get(url)
    later = (utcnow() + dt.timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    earlier = (utcnow() - dt.timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    by_tag = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": later})
    stale = client.get(url, headers={"If-Modified-Since": earlier})

    assert first.status_code == 200 and first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("private")
    assert by_tag.status_code == 304 and by_date.status_code == 304
    assert stale.status_code == 200


def test_the_feeds_validator_changes_with_a_publication(client, db_session, world, pages):
    token = feed.issue_feed_token(db_session, world.academy, world.stakeholder, now=utcnow())
    db_session.commit()
    url = f"/feeds/{token}.atom"
    tag = client.get(url).headers["ETag"]
    other = services.create_release(
        db_session, world.academy, name="Incrément 2", actor=world.manager, now=utcnow()
    )
    other.state = ReleaseState.APPROVED
    notes.publish_notes(
        db_session, other, body="# Deux", actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip
    db_session.commit()

    again = client.get(url, headers={"If-None-Match": tag})

    assert again.status_code == 200 and b"Incr\xc3\xa9ment 2" in again.data


def test_changes_with_no_academy_count_for_every_academy(db_session, world):
    before = counters(db_session, world.academy.id)[1]

    world.designer.display_name = "Nom changé"
    db_session.commit()

    assert counters(db_session, world.other_academy.id)[1] == before + 1
    assert SHARED == 0


def test_the_first_pages_validator_holds_when_drawing_it_gave_the_session_its_csrf_token(
    client, db_session, world, login, pages
):
    login(world.manager)
    with client.session_transaction() as session:
        session.pop("csrf_token", None)
    url = PAGES["board"](world, pages)
    tag = client.get(url).headers["ETag"]

    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304


def test_api_calls_that_only_count_a_token_use_leave_the_validators_alone(
    client, db_session, world
):
    secret = personal_token(db_session, world.designer, write=False)
    db_session.commit()
    before = counters(db_session, world.academy.id)

    for _ in range(3):  # each call counts the token's use (its rate window): not a page's data
        answer = client.get(
            f"/api/v1/academies/{world.academy.slug}/bricks", headers=bearer(secret)
        )
        assert answer.status_code == 200

    assert counters(db_session, world.academy.id) == before
