"""Learning paths: services (order, colour, delete keeps bricks) and pages (totals, access)."""

from __future__ import annotations

import pytest

from tests.factories import make_brick
from tracker.backlog import paths_services as services
from tracker.backlog.models import Activity, Brick, LearningPath
from tracker.db import utcnow
from tracker.errors import DomainError


def names(session, academy):
    return [p.name for p in services.list_paths(session, academy)]


# -- Services -----------------------------------------------------------------------------------


def test_new_paths_go_last_and_move_up_and_down(db_session, world):
    for name in ("Culture digitale", "Data & IA", "Sécurité du SI"):
        services.create_path(db_session, world.academy, name=name)
    data = db_session.query(LearningPath).filter_by(name="Data & IA").one()

    assert services.move_path(db_session, data, -1) is True
    assert names(db_session, world.academy) == ["Data & IA", "Culture digitale", "Sécurité du SI"]
    assert services.move_path(db_session, data, -1) is False  # already first
    services.move_path(db_session, data, +1)
    services.move_path(db_session, data, +1)
    assert names(db_session, world.academy) == ["Culture digitale", "Sécurité du SI", "Data & IA"]
    assert services.move_path(db_session, data, +1) is False  # already last


def test_names_are_unique_per_academy_whatever_the_case(db_session, world):
    services.create_path(db_session, world.academy, name="Data & IA")

    with pytest.raises(DomainError) as refused:
        services.create_path(db_session, world.academy, name="  data & ia ")
    assert refused.value.field == "name"
    # Another academy may use the same name.
    services.create_path(db_session, world.other_academy, name="Data & IA")


def test_only_palette_colours_are_accepted(db_session, world):
    with pytest.raises(DomainError) as refused:
        services.create_path(db_session, world.academy, name="X", colour="#ff00ff")
    assert refused.value.field == "colour"

    path = services.create_path(db_session, world.academy, name="Y", colour="#0B6E4F")
    assert path.colour == "#0b6e4f"
    assert services.colour_class(path.colour) == "path-colour-1"
    assert services.colour_class("javascript:alert(1)") == "path-colour-0"


def test_deleting_a_path_keeps_its_bricks_and_records_the_change(db_session, world):
    path = services.create_path(db_session, world.academy, name="Management hybride")
    brick = make_brick(db_session, world, learning_path_id=path.id)
    version = brick.version

    count = services.delete_path(db_session, path, actor=world.manager, now=utcnow())

    assert count == 1
    db_session.refresh(brick)
    assert brick.learning_path_id is None
    assert brick.version > version
    event = (
        db_session.query(Activity).filter_by(brick_id=brick.id).order_by(Activity.id.desc()).first()
    )
    assert event.changes == {"learning_path_id": [path.id, None]}
    assert event.actor_id == world.manager.id


def test_path_bricks_come_in_backlog_order_with_totals(db_session, world):
    path = services.create_path(db_session, world.academy, name="Data & IA")
    first = make_brick(
        db_session,
        world,
        title="Intro",
        estimate_points=3,
        learner_minutes=30,
        learning_path_id=path.id,
    )
    make_brick(db_session, world, title="Elsewhere", estimate_points=8)
    second = make_brick(
        db_session,
        world,
        title="Advanced",
        estimate_points=5,
        learner_minutes=None,
        learning_path_id=path.id,
    )
    second.rank = first.rank - 10  # now first in the backlog
    db_session.flush()

    bricks = services.path_bricks(db_session, path)
    totals = services.totals_of(bricks)
    grouped = services.totals_by(db_session, world.academy, Brick.learning_path_id)

    assert [b.title for b in bricks] == ["Advanced", "Intro"]
    assert (totals.count, totals.points, totals.learner_minutes) == (2, 8, 30)
    assert totals.learner_hours == 0.5
    assert grouped[path.id] == totals


# -- Pages --------------------------------------------------------------------------------------


def test_a_manager_creates_a_path_and_sees_it(client, login, world, db_session):
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/paths/new",
        data={"name": "Culture digitale", "colour": "#6a3d9a", "target_population": "Tous"},
    )

    assert response.status_code == 303
    assert db_session.query(LearningPath).filter_by(name="Culture digitale").count() == 1
    page = client.get(response.location).get_data(as_text=True)
    assert "path-colour-2" in page
    assert "Tous" in page
    assert 'style="' not in page


def test_a_bad_form_keeps_what_was_typed_and_says_why(client, login, world, db_session):
    services.create_path(db_session, world.academy, name="Data & IA")
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/paths/new",
        data={"name": "Data & IA", "colour": "#123456", "target_population": "Métiers"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Another learning path already has this name." in page
    assert 'value="Métiers"' in page
    assert 'id="colour-error"' in page


def test_move_and_delete_through_the_pages(client, login, world, db_session):
    a = services.create_path(db_session, world.academy, name="A")
    b = services.create_path(db_session, world.academy, name="B")
    brick = make_brick(db_session, world, learning_path_id=a.id)
    login(world.manager)
    base = f"/a/{world.academy.slug}/paths"

    moved = client.post(f"{base}/{b.id}/move", data={"direction": "up"})
    bad = client.post(f"{base}/{b.id}/move", data={"direction": "sideways"})
    deleted = client.post(f"{base}/{a.id}/delete")

    assert moved.status_code == 303
    assert bad.status_code == 400
    assert deleted.status_code == 303
    assert names(db_session, world.academy) == ["B"]
    db_session.refresh(brick)
    assert brick.learning_path_id is None


def test_a_designer_reads_but_does_not_see_manager_buttons(client, login, world, db_session):
    path = services.create_path(db_session, world.academy, name="Data & IA")
    login(world.designer)

    index = client.get(f"/a/{world.academy.slug}/paths/").get_data(as_text=True)
    page = client.get(f"/a/{world.academy.slug}/paths/{path.id}/").get_data(as_text=True)

    assert "Data &amp; IA" in index
    assert "New learning path" not in index
    assert f"/paths/{path.id}/move" not in index
    assert f"/paths/{path.id}/edit" not in page


def test_another_academys_path_is_not_found(client, login, world, db_session):
    other = services.create_path(db_session, world.other_academy, name="Theirs")
    login(world.manager)

    response = client.get(f"/a/{world.academy.slug}/paths/{other.id}/")

    assert response.status_code == 404


def test_the_path_page_runs_the_same_queries_for_2_or_20_bricks(
    client, login, world, db_session, queries
):
    path = services.create_path(db_session, world.academy, name="Data & IA")
    owner_pool = [world.manager, world.designer]
    for i in range(2):
        make_brick(db_session, world, learning_path_id=path.id, owner_id=owner_pool[i % 2].id)
    login(world.manager)
    url = f"/a/{world.academy.slug}/paths/{path.id}/"
    client.get(url)
    with queries() as few:
        client.get(url)
    for i in range(18):
        make_brick(db_session, world, learning_path_id=path.id, owner_id=owner_pool[i % 2].id)
    with queries() as many:
        response = client.get(url)

    assert response.status_code == 200
    assert many.count == few.count


def test_a_name_taken_at_the_same_moment_is_a_domain_error_not_a_crash(
    db_session, world, monkeypatch
):
    # Two creations racing each other both pass the name check; the constraint decides.
    services.create_path(db_session, world.academy, name="Data & IA")
    other = services.create_path(db_session, world.academy, name="Other")
    monkeypatch.setattr(services, "is_path_name_taken", lambda *args, **kwargs: False)

    with pytest.raises(DomainError) as refused:
        services.create_path(db_session, world.academy, name="Data & IA")
    assert refused.value.field == "name"
    with pytest.raises(DomainError):
        services.update_path(db_session, other, name="Data & IA", colour="#1f4e79",
                             description="", target_population="")  # fmt: skip

    # The transaction is still usable, and nothing half-written stays.
    assert names(db_session, world.academy) == ["Data & IA", "Other"]
