"""A feedback round end to end in a real browser (issue 5's acceptance).

The manager imports 5 testers, who accept the panel's invitation; builds a round with a
per-brick question, opens it and invites the panel; a tester follows the link of their e-mail
(read from the outbox in the database), saves a draft, reports a blocking issue, edits it,
submits, on a phone-sized screen; the manager sees the response rate and the charts, turns the
item into a brick, closes the round and sees the gate snapshot.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import BrickFormat
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.feedback import links
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    GateSnapshot,
    Question,
    QuestionKind,
    Response,
)
from tracker.feedback.questionnaire import round_bricks, slots_of
from tracker.mail.models import MailMessage
from tracker.mail.services import build_email
from tracker.releases.services import create_release

pytestmark = pytest.mark.browser


def _arrange_release(live_server: LiveServer, tag: str) -> tuple[int, list[int]]:
    """A release of the demo academy with two bricks (one with a link to its content)."""
    with live_server.session() as session:
        academy = session.scalars(
            select(Academy).where(Academy.slug == live_server.academy_slug)
        ).one()
        manager = session.scalars(
            select(User).where(User.email == live_server.logins["manager"])
        ).one()
        release = create_release(
            session, academy, name=f"Incrément {tag}", actor=manager, now=utcnow()
        )
        bricks = [
            create_brick(
                session, academy, actor=manager, title=title, format=BrickFormat.VIDEO,
                release_id=release.id, learner_minutes=15, content_url=url, now=utcnow(),
            )
            for title, url in (
                ("Vidéo RGPD", "https://lms.example.com/rgpd"),
                ("Quiz RGPD", ""),
            )
        ]  # fmt: skip
        session.flush()
        return release.id, [b.id for b in bricks]


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_round_from_the_panel_import_to_the_gate(
    page: Any, browser: Any, live_server: LiveServer
) -> None:
    tag = secrets.token_hex(3)
    release_id, brick_ids = _arrange_release(live_server, tag)
    emails = [f"testeur{n}.{tag}@brique.example" for n in range(5)]
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of open and close

    # The manager imports 5 testers: a dry run, then the import.
    live_server.login(page, "manager")
    page.goto(live_server.academy_url("/panel/import"))
    rows = "\n".join(
        f"Testeur {n} {tag};{email};Finance;Analyste;Paris;fr" for n, email in enumerate(emails)
    )
    page.set_input_files(
        "input[name=file]",
        files=[{
            "name": "panel.csv", "mimeType": "text/csv",
            "buffer": f"\ufeffNom;E-mail;Direction;Métier;Site;Langue\n{rows}\n".encode(),
        }],
    )  # fmt: skip
    _submit(page, "form[action$='/panel/import'] button[type=submit]")
    assert page.locator(".import-ok").is_visible()
    assert page.locator("tr.import-row-ok").count() == 5
    _submit(page, "form[action$='/panel/import/confirm'] button[type=submit]")
    page.goto(live_server.academy_url(f"/panel/?q={tag}"))
    assert page.locator(".panel-pending li").filter(has_text=tag).count() == 5

    # Each tester accepts the panel's invitation from their e-mail (nobody joins unasked).
    with live_server.session() as session:
        bodies = session.scalars(
            select(MailMessage.body_text).where(
                MailMessage.to_address.in_(emails),
                MailMessage.category == "academy_invitation",
            )
        ).all()
    invitation_links = [
        re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+", b).group(0) for b in bodies
    ]
    assert len(invitation_links) == 5
    context = browser.new_context(locale="fr-FR")
    try:
        tester_page = context.new_page()
        for link in invitation_links:
            tester_page.goto(link)
            with tester_page.expect_navigation():
                tester_page.click("form[action*='/invitations/']:not([action$='/decline']) button")
    finally:
        context.close()
    page.goto(live_server.academy_url(f"/panel/?q={tag}"))
    assert page.locator(".panel-table tbody tr").count() == 5

    # ... builds a round on the release, with a per-brick question ...
    page.goto(live_server.academy_url(f"/rounds/new?release_id={release_id}"))
    page.fill("#title", f"Bêta RGPD {tag}")
    page.fill("#closes_at", "2031-06-30T18:00")
    _submit(page, "form.card button[type=submit]")
    round_id = int(re.search(r"/rounds/(\d+)/$", page.url).group(1))
    page.goto(live_server.academy_url(f"/rounds/{round_id}/questions/new"))
    page.select_option("#kind", "rating")
    page.fill("#prompt", "Cette brique est-elle claire ?")
    page.check("#required")
    page.check("#per_brick")
    _submit(page, "form.card button[type=submit]")
    assert page.locator("#questionnaire li").count() == 7

    # ... opens it, and invites the testers it imported (the demo's panel has others): found
    # by their tag, ticked by hand.
    _submit(page, "form[action$='/open'] button[type=submit]")
    assert page.url.endswith(f"/rounds/{round_id}/invite")
    page.goto(live_server.academy_url(f"/rounds/{round_id}/invite?q={tag}"))
    boxes = page.locator("input[name=user_id]")
    assert boxes.count() == 5
    for n in range(5):
        boxes.nth(n).check()
    _submit(page, "form:has(input[name=mode][value=picked]) button[type=submit]")

    # The first tester's invitation, as the sender writes it when it leaves (the queue holds a
    # placeholder, never the token).
    with live_server.session() as session:
        mail = session.scalars(
            select(MailMessage).where(
                MailMessage.to_address == emails[0], MailMessage.category == "round_invitation"
            )
        ).one()
        token = links.issue_for_mail(session, mail.link_ref, utcnow())
        email = build_email(mail, "x@brique.test", token=token)
        session.commit()
        text = email.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", text).group(0)
        round_ = session.get(FeedbackRound, round_id)
        questions = list(
            session.scalars(
                select(Question).where(Question.round_id == round_id).order_by(Question.position)
            )
        )
        slots = [
            (slot.name, slot.question.kind, list(slot.question.choices))
            for slot in slots_of(questions, round_bricks(session, round_))
        ]
    assert link.startswith(live_server.url)

    # The tester opens the link on a phone, without any password.
    phone = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    phone.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        tester = phone.new_page()
        tester.goto(link)
        assert tester.locator("h1").inner_text() == f"Bêta RGPD {tag}"
        assert tester.locator(".brick-group").count() == 2
        assert tester.locator("a[href='https://lms.example.com/rgpd']").count() == 1
        assert tester.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # A first answer, kept as a draft.
        first_name = slots[0][0]
        tester.check(f"input[name='{first_name}'][value='5']")
        _submit(tester, "button[name=action][value=draft]")
        assert tester.locator(f"input[name='{first_name}'][value='5']").is_checked()

        # A blocking issue on the first brick, then corrected.
        _submit(tester, "#my-items a.button")
        tester.select_option("#brick_id", str(brick_ids[0]))
        tester.fill("#location", "02:13")
        tester.check("input[name=kind][value=issue]")
        tester.check("input[name=severity][value=blocking]")
        tester.fill("#title", "La vidéo s'arrête")
        _submit(tester, "form.card button[type=submit]")
        _submit(tester, "#my-items a[href*='/edit']")
        tester.fill("#location", "02:15")
        _submit(tester, "form.card button[type=submit]")
        assert "La vidéo s'arrête" in tester.locator("#my-items").inner_text()

        # Submitting too early names what is missing; then everything is answered.
        _submit(tester, "button[name=action][value=submit]")
        assert tester.locator("#error-summary").is_visible()
        assert tester.evaluate("document.activeElement.id") == "error-summary"
        for name, kind, choices in slots:
            if kind == QuestionKind.TEXT:
                tester.fill(f"textarea[name='{name}']", "Plus de cas pratiques.")
            elif kind == QuestionKind.NPS:
                tester.check(f"input[name='{name}'][value='9']")
            elif kind == QuestionKind.YES_NO:
                tester.check(f"input[name='{name}'][value='1']")
            elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
                tester.check(f"input[name='{name}'][value='{choices[0]}']")
            else:
                tester.check(f"input[name='{name}'][value='4']")
        _submit(tester, "button[name=action][value=submit]")
        assert tester.locator(".flash-success").is_visible()
        assert tester.locator(".answer-status .badge-done").is_visible()
    finally:
        phone.close()

    with live_server.session() as session:
        [response] = session.scalars(select(Response).where(Response.round_id == round_id))
        [item] = session.scalars(select(FeedbackItem).where(FeedbackItem.round_id == round_id))
        assert response.state.value == "submitted"
        assert (item.severity.value, item.location, item.brick_id) == (
            "blocking",
            "02:15",
            brick_ids[0],
        )
        item_id = item.id

    # The manager sees the response rate, the charts and the item ...
    page.goto(live_server.academy_url(f"/rounds/{round_id}/results"))
    assert "20" in page.locator(".result-rate .stat").inner_text()  # 1 of 5
    assert page.locator(".chart-block").count() > 0
    page.goto(live_server.academy_url(f"/rounds/{round_id}/triage"))
    assert page.locator(f"#item-{item_id}-title").is_visible()

    # ... turns the item into a backlog brick ...
    card = page.locator(f"article:has(#item-{item_id}-title)")
    card.locator("details.triage-to-brick > summary").click()
    _submit(page, f"article:has(#item-{item_id}-title) .triage-to-brick button[type=submit]")
    with live_server.session() as session:
        assert session.get(FeedbackItem, item_id).created_brick_id is not None

    # ... closes the round, and sees the gate snapshot.
    page.goto(live_server.academy_url(f"/rounds/{round_id}/"))
    _submit(page, "form[action$='/close'] button[type=submit]")
    assert page.locator("section.gate").is_visible()
    with live_server.session() as session:
        snapshot = session.scalars(
            select(GateSnapshot).where(GateSnapshot.round_id == round_id)
        ).one()
        assert (snapshot.invited, snapshot.completed) == (5, 1)
