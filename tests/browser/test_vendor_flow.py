"""A vendor from the directory to the scorecard, in a real browser.

A manager creates a vendor, adds and invites its contact, assigns two bricks of a learning path,
generates the path's specification, edits and sends it; the contact accepts the invitation from
the e-mail, logs in, sees only those two bricks and the specification, acknowledges it and posts
a quote; the manager accepts it; the budget page and the scorecard show it.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tracker.academies.models import Role
from tracker.academies.services import add_member, create_academy
from tracker.auth.services import create_user
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import create_path
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.mail.models import MailMessage
from tracker.vendors.models import Specification, Vendor

pytestmark = pytest.mark.browser
_run = itertools.count(1)


def _arrange(live_server: LiveServer) -> dict[str, object]:
    n = re.sub(r"[^a-z0-9]", "", f"{next(_run)}{live_server.password[-6:].lower()}")
    with live_server.session() as session:
        manager = create_user(
            session, email=f"vendor-dlm{n}@example.com", display_name="Diane DLM",
            password=live_server.password, locale="fr",
        )  # fmt: skip
        academy = create_academy(
            session, name=f"Académie Presta {n}", slug=f"presta-{n}", key_prefix="PRS",
            default_locale="fr", actor=manager,
        )  # fmt: skip
        add_member(session, academy, manager, Role.MANAGER)
        path = create_path(session, academy, name="Parcours Cyber")
        numbers = []
        for title, in_path in (("Hameçonnage", True), ("Mots de passe", True), ("Autre", False)):
            brick = create_brick(
                session, academy, title=title, format="video", actor=manager, now=utcnow(),
                learning_path_id=path.id if in_path else None, learner_minutes=60,
            )  # fmt: skip
            numbers.append(brick.number)
        return {
            "slug": academy.slug,
            "manager": manager.email,
            "contact": f"lou{n}@studio.example",
            "path": path.id,
            "numbers": numbers,
        }


def test_a_vendor_from_the_directory_to_the_scorecard(live_server: LiveServer, browser, page):
    facts = _arrange(live_server)
    base = f"/a/{facts['slug']}"
    live_server.login(page, str(facts["manager"]))

    # The manager creates the vendor, adds its contact and invites them.
    page.goto(f"{base}/vendors/new")
    page.fill("input[name=name]", "Studio Ludik")
    page.check("input[name=specialties][value=video]")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    with live_server.session() as session:
        vendor_id = session.scalars(select(Vendor.id).where(Vendor.name == "Studio Ludik")).one()
    page.fill("#name", "Lou Studio")
    page.fill("#email", str(facts["contact"]))
    with page.expect_navigation():
        page.click(f"form[action$='/vendors/{vendor_id}/contacts'] button[type=submit]")
    with page.expect_navigation():
        page.click("form[action$='/invite'] button")

    # Two bricks of the path go to the vendor.
    first, second, other = facts["numbers"]  # type: ignore[misc]
    page.select_option("#assign-bricks", [str(first), str(second)])
    with page.expect_navigation():
        page.click(f"form[action$='/vendors/{vendor_id}/bricks'] button[type=submit]")
    assert page.locator(f"#brick-{first}").count() == 1

    # The path's specification: generated, edited, sent.
    page.goto(f"{base}/vendors/{vendor_id}/specifications/new")
    page.select_option("select[name=source]", f"path:{facts['path']}")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    body = page.input_value("textarea[name=body]")
    assert "Hameçonnage" in body and "Autre" not in body
    page.fill("textarea[name=body]", body + "\n\nLivraison attendue avant l'été.")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    with page.expect_navigation():
        page.click("form[action$='/send'] button")
    with live_server.session() as session:
        spec = session.scalars(
            select(Specification).where(Specification.vendor_id == vendor_id)
        ).one()
        spec_id = spec.id
        assert len(spec.versions) == 1
        invitation = session.scalars(
            select(MailMessage.body_text).where(
                MailMessage.to_address == facts["contact"],
                MailMessage.category == "academy_invitation",
            )
        ).one()
    link = re.search(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+)", invitation)
    assert link

    # The contact accepts, logs in, sees their two bricks and the specification only.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    vendor_page = context.new_page()
    vendor_page.set_default_timeout(10_000)
    vendor_page.goto(link.group(1))
    vendor_page.fill("input[name=display_name]", "Lou Studio")
    vendor_page.fill("input[name=password]", live_server.password)
    vendor_page.fill("input[name=confirm]", live_server.password)
    with vendor_page.expect_navigation():
        vendor_page.click("form button.button-primary")
    vendor_page.goto(f"{base}/")
    if "/login" in vendor_page.url:  # accepting may not log in: then the login form
        live_server.login(vendor_page, str(facts["contact"]))
        vendor_page.goto(f"{base}/")
    assert vendor_page.url.endswith(f"{base}/vendor")
    text = vendor_page.inner_text("main")
    assert "Hameçonnage" in text and "Mots de passe" in text and "Autre" not in text
    vendor_page.goto(f"{base}/backlog")
    text = vendor_page.inner_text("main")
    assert "Hameçonnage" in text and "Autre" not in text
    assert vendor_page.goto(f"{base}/bricks/{other}").status == 403
    assert vendor_page.goto(f"{base}/board").status == 403

    vendor_page.goto(f"{base}/vendor/specifications/{spec_id}")
    assert "Livraison attendue" in vendor_page.inner_text("main")
    with vendor_page.expect_navigation():
        vendor_page.click("form[action$='/acknowledge'] button")
    vendor_page.goto(f"{base}/vendor/specifications/{spec_id}/quote")
    vendor_page.fill("input[name=amount]", "12000")
    vendor_page.fill("input[name=days]", "20")
    with vendor_page.expect_navigation():
        vendor_page.click("form.card button[type=submit]")
    context.close()

    # The manager accepts the quote; the budget and the scorecard show it.
    page.goto(f"{base}/quotes/")
    with page.expect_navigation():
        page.click("table a[href*='/quotes/']")
    page.select_option("select[name=decision]", "accept")
    with page.expect_navigation():
        page.click("form[action$='/decide'] button")
    page.goto(f"{base}/budget")
    text = page.inner_text("main")
    assert "Hameçonnage" in text and re.search(r"12\s000", text)
    page.goto(f"{base}/vendors/scorecard")
    row = page.inner_text(f"#score-{vendor_id}")
    # 12 000 € over 2 learner hours.
    assert "Studio Ludik" in row and re.search(r"6\s000", row)
    with live_server.session() as session:
        assert {
            b.number for b in session.scalars(select(Brick).where(Brick.vendor_id == vendor_id))
        } == {first, second}
