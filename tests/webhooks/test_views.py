"""The webhooks settings pages, as a manager uses them."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import SECRET, make_brick
from tracker.db import utcnow
from tracker.webhooks import services
from tracker.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tracker.webhooks.sealing import unseal

URL = "https://hooks.example.com/brique"


def _new_form(client, slug):  # type: ignore[no-untyped-def]
    page = client.get(f"/a/{slug}/settings/webhooks/new")
    assert page.status_code == 200
    once = re.search(r'name="once"[^>]*value="([^"]*)"', page.get_data(as_text=True))
    return {"once": once.group(1) if once else ""}


def test_a_manager_subscribes_and_sees_the_secret_once(client, login, world, db_session):
    login(world.manager)
    slug = world.academy.slug
    data = {**_new_form(client, slug), "url": URL, "description": "LMS",
            "event_types": ["brick.created", "sprint.closed"]}  # fmt: skip
    response = client.post(f"/a/{slug}/settings/webhooks/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    endpoint = db_session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.event_types == ["brick.created", "sprint.closed"]
    secret = unseal(endpoint.sealed_secret, SECRET)
    assert secret.startswith("whsec_") and secret not in endpoint.sealed_secret
    assert secret in html and "shown this once" in html

    again = client.post(f"/a/{slug}/settings/webhooks/new", data=data)  # sent twice
    assert again.status_code == 303
    assert db_session.scalars(select(WebhookEndpoint)).all() == [endpoint]
    later = client.get(f"/a/{slug}/settings/webhooks/{endpoint.id}").get_data(as_text=True)
    assert secret not in later and URL in later
    listing = client.get(f"/a/{slug}/settings/webhooks").get_data(as_text=True)
    assert URL in listing and secret not in listing


def test_bad_input_is_named_and_kept(client, login, world, db_session):
    login(world.manager)
    slug = world.academy.slug
    response = client.post(
        f"/a/{slug}/settings/webhooks/new",
        data={**_new_form(client, slug), "url": "http://10.0.0.7/internal", "description": "x"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "http://10.0.0.7/internal" in html
    assert "Give a public web address starting with https://." in html
    response = client.post(
        f"/a/{slug}/settings/webhooks/new",
        data={**_new_form(client, slug), "url": URL, "event_types": ["brick.exploded"]},
    )
    assert response.status_code == 422
    assert db_session.scalars(select(WebhookEndpoint)).all() == []


def test_edit_disable_enable_send_again_delete(client, login, world, db_session):
    endpoint, _secret = services.create_endpoint(
        db_session, world.academy, url=URL, description="", event_types=["brick.created"],
        actor=world.manager, allow_private=False, app_secret_key=SECRET, now=utcnow(),
    )  # fmt: skip
    make_brick(db_session, world, "Sent once")
    delivery = db_session.scalars(select(WebhookDelivery)).one()
    delivery.status = DeliveryStatus.DELIVERED
    db_session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=utcnow(),
                                  succeeded=True, status_code=204, duration_ms=42))  # fmt: skip
    db_session.flush()
    login(world.manager)
    base = f"/a/{world.academy.slug}/settings/webhooks/{endpoint.id}"

    page = client.get(base).get_data(as_text=True)
    assert "HTTP 204" in page and "42 ms" in page and "Send again" in page

    response = client.post(base, data={"url": URL + "/v2", "event_types": ["need.created"]})
    assert response.status_code == 303
    assert (endpoint.url, endpoint.event_types) == (URL + "/v2", ["need.created"])

    assert client.post(base + "/disable").status_code == 303
    assert not endpoint.enabled
    assert client.post(base + "/enable").status_code == 303
    assert endpoint.enabled

    assert client.post(base + f"/deliveries/{delivery.id}/send-again").status_code == 303
    deliveries = db_session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [d.status for d in deliveries] == [DeliveryStatus.DELIVERED, DeliveryStatus.PENDING]
    assert deliveries[0].event_id == deliveries[1].event_id

    old_secret = unseal(endpoint.sealed_secret, SECRET)
    rotated = client.post(base + "/rotate-secret")
    new_secret = unseal(endpoint.sealed_secret, SECRET)
    assert rotated.status_code == 200 and new_secret != old_secret
    assert new_secret in rotated.get_data(as_text=True)

    assert client.post(base + "/delete").status_code == 303
    assert db_session.scalars(select(WebhookEndpoint)).all() == []


def test_another_academys_webhook_is_not_found(client, login, world, db_session):
    endpoint, _secret = services.create_endpoint(
        db_session, world.other_academy, url=URL, description="", event_types=["brick.created"],
        actor=None, allow_private=False, app_secret_key=SECRET, now=utcnow(),
    )  # fmt: skip
    login(world.manager)
    base = f"/a/{world.academy.slug}/settings/webhooks/{endpoint.id}"
    assert client.get(base).status_code == 404
    assert client.post(base + "/delete").status_code == 404
    assert endpoint.enabled
