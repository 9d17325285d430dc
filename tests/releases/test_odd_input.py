"""What people (or scripts) may send the release pages: never a 500."""

from __future__ import annotations

import pytest

from tests.factories import SECRET, add_bricks, make_testers, run_round
from tracker.db import utcnow
from tracker.releases import notes, readiness, services
from tracker.releases.models import ReleaseState


@pytest.fixture
def closed(db_session, world):
    release = services.create_release(
        db_session, world.academy, name="Socle", actor=world.manager, now=utcnow()
    )
    add_bricks(db_session, world.academy, release)
    run_round(
        db_session, world.academy, release, world.manager,
        make_testers(db_session, world.academy, 2), secret_key=SECRET, rating=2, nps=3,
    )  # fmt: skip
    return release


def base(world, release):
    return f"/a/{world.academy.slug}/releases/{release.id}"


def test_nul_characters_are_dropped_not_a_database_error(client, db_session, world, login, closed):
    login(world.manager)

    decided = client.post(
        f"{base(world, closed)}/decide",
        data={"outcome": "go_with_reserves", "reserves": "A\x00B", "comment": "C\x00D"},
    )
    released = client.post(f"{base(world, closed)}/release", data={"override_reason": "E\x00F"})
    saved = client.post(
        f"{base(world, closed)}/notes/edit", data={"action": "save", "body": "# G\x00H"}
    )

    assert (decided.status_code, released.status_code, saved.status_code) == (303, 303, 303)
    [decision] = readiness.release_decisions(db_session, closed)
    assert (decision.reserves, decision.comment) == ("AB", "CD")
    assert (closed.state, closed.override_reason) == (ReleaseState.RELEASED, "EF")
    assert notes.get_notes(db_session, closed).body == "# GH"


@pytest.mark.parametrize(
    "path",
    ["/releases/99999999999/", "/releases/99999999999/notes", "/releases/99999999999/decide"],
)
def test_ids_beyond_an_integer_are_not_found(client, db_session, world, login, path):
    login(world.manager)

    assert client.get(f"/a/{world.academy.slug}{path}").status_code == 404


def test_too_long_notes_are_a_form_error(client, db_session, world, login, closed):
    login(world.manager)

    response = client.post(
        f"{base(world, closed)}/notes/edit", data={"action": "save", "body": "x" * 100_001}
    )

    assert response.status_code == 422
    assert notes.get_notes(db_session, closed) is None


def test_an_unknown_action_only_previews(client, db_session, world, login, closed):
    login(world.manager)
    services.record_decision(db_session, closed, outcome="go", actor=world.manager, now=utcnow())

    response = client.post(
        f"{base(world, closed)}/notes/edit", data={"action": "drop-table", "body": "# Hé"}
    )

    assert response.status_code == 200 and "<h1>Hé</h1>" in response.get_data(as_text=True)
    assert notes.get_notes(db_session, closed) is None


def test_nul_in_a_release_name_and_goal(client, db_session, world, login):
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/releases/new", data={"name": "In\x00cr", "goal": "G\x00"}
    )

    assert response.status_code == 303
    assert [r.name for r in services.list_releases(db_session, world.academy)] == ["Incr"]
