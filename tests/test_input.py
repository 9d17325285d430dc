"""Input hygiene shared by every route."""

from __future__ import annotations

from tracker.auth.models import User


def test_nul_characters_are_dropped_from_forms_and_queries(client, db_session, world, login):
    # PostgreSQL refuses NUL in text: unfiltered, any text field could produce a 500.
    login(world.manager)

    response = client.post("/account", data={"display_name": "Maya\x00 Manager", "locale": "en"})
    search = client.get(f"/a/{world.academy.slug}/backlog?q=a%00b")

    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(User, world.manager.id).display_name == "Maya Manager"
    assert search.status_code == 200


def test_huge_numbers_in_urls_are_not_found(client, world, login):
    login(world.admin)

    response = client.get("/admin/outbox/99999999999999999999999")

    assert response.status_code == 404
