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


def test_decimals_are_typed_and_shown_the_french_way(client, db_session, world, login):
    world.manager.locale = "fr"
    login(world.manager)
    url = f"/a/{world.academy.slug}/settings"
    form = {
        "name": world.academy.name,
        "description": "",
        "default_locale": "fr",
        "sprint_length_days": "14",
        "gate_min_responses": "30",
        "gate_min_response_rate": "50,5",
        "gate_min_csat": "80.5",
        "gate_min_nps": "-10",
        "gate_max_blocking": "0",
    }

    response = client.post(url, data=form)

    assert response.status_code == 303
    db_session.refresh(world.academy)
    assert world.academy.gate_min_response_rate == 50.5
    assert world.academy.gate_min_csat == 80.5
    page = client.get(url).get_data(as_text=True)
    assert 'value="50,5"' in page and 'inputmode="decimal"' in page
    refused = client.post(url, data={**form, "gate_min_csat": "beaucoup"})
    assert refused.status_code == 422
    assert 'value="beaucoup"' in refused.get_data(as_text=True)
