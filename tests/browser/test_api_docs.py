"""The API's documentation page (vendored Swagger UI) under the strict CSP, and a token made on
the profile page, shown once, used from the documentation's "Try it out"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_docs_page_works_under_the_csp_with_a_token_from_the_profile(
    page: Any, live_server: LiveServer
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Arrange: a read-only token, made on the profile's token page (shown this once)
    live_server.login(page, "designer")
    page.goto("/account/tokens/")
    page.fill("#name", "Docs test")
    page.click("button.button-primary")
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("brq_")

    # Act: the documentation page
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15000)

    # Assert: Swagger UI rendered every operation, with no CSP violation nor script error
    assert page.locator(".opblock").count() >= 30
    assert not problems, problems

    # Act: authorize with the token, then try the academies list
    page.click("button.authorize")
    page.fill(".auth-container input", secret)
    page.click(".auth-btn-wrapper button.authorize")
    page.click(".btn-done")
    operation = page.locator("#operations-api_academies-get_api_v1_academies")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()

    # Assert: the call went through with the token (200, the demo academy listed)
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert live_server.academy_slug in operation.locator(".live-responses-table").inner_text()
    assert not problems, problems
