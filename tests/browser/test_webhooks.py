"""A manager subscribes a webhook in a real browser, copies its secret, reads the delivery log,
sends an event again and deletes the webhook; the pages fit and pass axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer
from tests.browser.test_layout_a11y import AXE, VIEWPORTS, check
from tests.factories import make_brick
from tracker.academies.models import Academy
from tracker.db import utcnow
from tracker.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tracker.webhooks.sealing import unseal

pytestmark = pytest.mark.browser

URL = "https://hooks.example.com/brique-browser-test"


def test_a_manager_subscribes_a_webhook_and_reads_its_log(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[0], locale="en-GB")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        live_server.login(page, "manager")
        page.goto(live_server.academy_url("/settings"))
        with page.expect_navigation():
            page.click("a[href$='/settings/webhooks']")
        with page.expect_navigation():
            page.click("a[href$='/settings/webhooks/new']")
        assert check(page) == []
        page.fill("input[name=url]", URL)
        page.fill("input[name=description]", "LMS")
        page.check("input[name=event_types][value='brick.created']")
        page.check("input[name=event_types][value='round.closed']")
        with page.expect_navigation():
            page.click("form.card button[type=submit]")

        secret = page.locator("code[data-secret]").inner_text()
        assert secret.startswith("whsec_")
        assert check(page) == []
        with live_server.session() as s:
            endpoint = s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == URL)).one()
            assert unseal(endpoint.sealed_secret, live_server.app.config["SECRET_KEY"]) == secret
            assert endpoint.event_types == ["brick.created", "round.closed"]
            academy = s.get(Academy, endpoint.academy_id)
            assert academy is not None
            make_brick(s, academy, "Webhook browser brick", actor=None)
            s.flush()
            delivery = s.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            ).one()
            s.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=utcnow(),
                                 status_code=503, duration_ms=120))  # fmt: skip
            endpoint_id = endpoint.id

        page.goto(live_server.academy_url(f"/settings/webhooks/{endpoint_id}"))
        assert secret not in page.content()  # shown once
        assert "HTTP 503" in page.locator("ol.attempts").inner_text()
        assert check(page) == []

        with page.expect_navigation():
            page.click("form[action$='/disable'] button")
        assert page.locator("form[action$='/enable'] button").is_visible()
    finally:
        with live_server.session() as s:
            for endpoint in s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == URL)):
                s.delete(endpoint)
        context.close()
