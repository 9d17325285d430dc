"""The manager's pages over HTTP: rounds and their questionnaire, invitations (and the panel's
import and segments pages)."""

from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import func, select

from tests.factories import (
    make_round,
    make_tester,
)
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.feedback.models import (
    FeedbackRound,
    RoundState,
)
from tracker.mail.models import MailMessage
from tracker.releases.services import create_release


def text_of(response) -> str:
    return response.get_data(as_text=True)


# -- Rounds, as a manager ---------------------------------------------------------------------


def test_creating_a_round_converts_paris_times_to_utc(client, db_session, world, login):
    release = create_release(
        db_session, world.academy, name="Incrément 3", actor=world.manager, now=utcnow()
    )
    login(world.manager)
    year = utcnow().year + 1

    response = client.post(
        f"/a/{world.academy.slug}/rounds/new",
        data={
            "release_id": str(release.id),
            "title": "Bêta incrément 3",
            "instructions": "Testez **sur mobile**.",
            "opens_at": f"{year}-03-02T09:00",  # winter: UTC+1
            "closes_at": f"{year}-07-01T18:30",  # summer: UTC+2
            "anonymous": "y",
            "gate_min_responses": "25",
            "gate_min_response_rate": "",
        },
    )

    assert response.status_code == 303, text_of(response)[:2000]
    round_ = db_session.scalars(
        select(FeedbackRound).where(FeedbackRound.title == "Bêta incrément 3")
    ).one()
    assert round_.opens_at == dt.datetime(year, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert round_.closes_at == dt.datetime(year, 7, 1, 16, 30, tzinfo=dt.UTC)
    assert round_.anonymous and round_.gate_min_responses == 25
    assert round_.gate_min_response_rate == world.academy.gate_min_response_rate
    page = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/edit")
    assert f'value="{year}-07-01T18:30"' in text_of(page)  # shown back in Paris time


def test_a_time_the_clocks_skip_is_refused_beside_the_field(client, db_session, world, login):
    release = create_release(
        db_session, world.academy, name="Incrément 4", actor=world.manager, now=utcnow()
    )
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/rounds/new",
        data={
            "release_id": str(release.id),
            "title": "Bêta",
            "closes_at": "2030-03-31T02:30",
            "gate_min_responses": "30",
        },
    )

    assert response.status_code == 422
    assert 'id="closes_at-error"' in text_of(response)
    assert 'value="Bêta"' in text_of(response)  # what was typed is kept


def test_the_round_page_lists_the_questionnaire_and_the_actions(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager, open_it=False)
    login(world.manager)

    page = text_of(client.get(f"/a/{world.academy.slug}/rounds/{setup.round.id}/"))

    assert "Overall, how satisfied are you with this increment?" in page
    assert f"/rounds/{setup.round.id}/open" in page
    assert f"/rounds/{setup.round.id}/questions/new" in page


def test_the_preview_is_the_testers_form_with_nothing_to_send(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager, open_it=False)
    login(world.designer)

    page = text_of(client.get(f"/a/{world.academy.slug}/rounds/{setup.round.id}/preview"))

    assert 'class="questionnaire"' in page
    assert "Module 1" in page and "Module 2" in page  # per-brick questions under each brick
    assert page.count('<fieldset class="question-set"') == 5  # the round's own questions
    # The per-brick rating: one grid, a row per brick (the tester's form shows the same).
    assert page.count('<table class="scale-grid') == 1
    assert page.count('class="scale-grid-row') == 2
    assert re.search(r"<button[^>]*disabled", page)
    assert 'name="csrf_token"' not in page.split('class="questionnaire"')[1].split("</form>")[0]


def test_open_and_close_through_the_pages(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager, open_it=False)
    login(world.manager)
    base = f"/a/{world.academy.slug}/rounds/{setup.round.id}"

    opened = client.post(f"{base}/open")
    closed = client.post(f"{base}/close")

    assert opened.status_code == 303 and opened.location.endswith(f"{base}/invite")
    assert closed.status_code == 303
    db_session.refresh(setup.round)
    assert setup.round.state == RoundState.CLOSED


def test_questions_are_added_and_moved_through_the_pages(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager, open_it=False, per_brick=False)
    login(world.manager)
    base = f"/a/{world.academy.slug}/rounds/{setup.round.id}"

    bad = client.post(
        f"{base}/questions/new",
        data={"kind": "single_choice", "prompt": "Format ?", "choices": "Seul"},
    )
    good = client.post(
        f"{base}/questions/new",
        data={
            "kind": "single_choice",
            "prompt": "Format ?",
            "choices": "Court\nLong",
            "required": "y",
        },
    )
    question = setup.round.questions[-1]
    moved = client.post(f"{base}/questions/{question.id}/move", data={"direction": "up"})

    assert bad.status_code == 422 and 'id="choices-error"' in text_of(bad)
    assert good.status_code == 303 and moved.status_code == 303
    db_session.expire_all()
    prompts = [q.prompt for q in db_session.get(FeedbackRound, setup.round.id).questions]
    assert prompts[-2] == "Format ?"


# -- Invitations ------------------------------------------------------------------------------


def test_inviting_through_the_page_queues_mails_and_never_twice(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager)
    testers = [make_tester(db_session, world.academy) for _ in range(3)]
    login(world.manager)
    url = f"/a/{world.academy.slug}/rounds/{setup.round.id}/invite"

    page = client.get(url)
    picked = client.post(url, data={"mode": "picked", "user_id": [str(testers[0].id)]})
    everyone = client.post(url, data={"mode": "all"})
    nothing = client.post(url, data={"mode": "picked"})

    assert page.status_code == 200 and testers[2].email in text_of(page)
    assert picked.status_code == 303 and everyone.status_code == 303
    assert nothing.status_code == 422
    assert (
        db_session.scalar(
            select(func.count(MailMessage.id)).where(MailMessage.category == "round_invitation")
        )
        == 3
    )


def test_the_invite_page_shows_recent_rounds_per_tester_in_bounded_queries(
    client, db_session, world, login, queries
):
    setup = make_round(db_session, world.academy, world.manager)
    for _ in range(5):
        make_tester(db_session, world.academy)
    login(world.manager)
    url = f"/a/{world.academy.slug}/rounds/{setup.round.id}/invite"
    client.get(url)  # warm-up: the first request of a client loads more
    with queries() as few:
        client.get(url)
    for _ in range(20):
        make_tester(db_session, world.academy)

    with queries() as many:
        page = client.get(url)

    assert page.status_code == 200
    assert "Rounds in the last 90 days" in text_of(page)
    assert many.count == few.count


# -- The panel's pages (tracker/feedback/panel_views.py) ---------------------------------------


def test_import_dry_run_then_confirm(client, db_session, world, login):
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel"
    bad = "nom;courriel\nLéa;pas-une-adresse\n".encode()
    good = "\ufeffnom;courriel;site\nLéa Martin;lea@example.com;Paris\nIto;ito@example.com;Lyon\n"

    refused = client.post(
        f"{base}/import",
        data={"file": (io.BytesIO(bad), "panel.csv")},
        content_type="multipart/form-data",
    )
    checked = client.post(
        f"{base}/import",
        data={"file": (io.BytesIO(good.encode()), "panel.csv")},
        content_type="multipart/form-data",
    )
    token = re.search(r'name="token"[^>]*value="([^"]+)"', text_of(checked)).group(1)
    confirmed = client.post(f"{base}/import/confirm", data={"token": token})

    assert refused.status_code == 422 and "import-row-bad" in text_of(refused)
    assert checked.status_code == 200
    assert confirmed.status_code == 303
    # Invited, not members: no account is made for them until they accept.
    assert (
        db_session.scalar(
            select(func.count(User.id)).where(
                User.email.in_(["lea@example.com", "ito@example.com"])
            )
        )
        == 0
    )
    listing = text_of(client.get(f"{base}/"))
    assert "Invited, not answered yet" in listing
    assert "ito@example.com" in listing and "lea@example.com" in listing


def test_segments_pages(client, db_session, world, login):
    make_tester(db_session, world.academy, business_unit="Finance")
    make_tester(db_session, world.academy, business_unit="IT")
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel/segments"

    created = client.post(f"{base}/new", data={"name": "Finance", "business_unit": ["Finance"]})
    listing = text_of(client.get(f"{base}/"))

    assert created.status_code == 303
    assert re.search(r"Finance</a></td>.*?<td class=\"num\">1</td>", listing, re.S)
