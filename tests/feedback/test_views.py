"""Feedback pages over HTTP: the manager's round pages, invitations, the panel import, and the
tester's form through the personal link and logged in."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from tests.feedback.round_helpers import (
    complete_values,
    give_profile,
    invite,
    make_round,
    make_tester,
    token_of,
)
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.feedback import services
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    QuestionKind,
    Response,
    ResponseState,
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
    assert page.count('<fieldset class="question-set"') == 4 + 2  # 4 + one per brick (text: label)
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


# -- The personal link ------------------------------------------------------------------------


@pytest.fixture
def invited(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy, name="Léa Martin", language="fr")
    invite(db_session, setup.round, [tester])
    db_session.commit()  # as a request finds it (views roll back their own work on errors)
    return setup, tester


def test_the_link_opens_the_form_without_logging_anybody_in(client, invited):
    setup, tester = invited

    page = client.get(f"/r/{token_of(setup.round, tester)}")

    assert page.status_code == 200
    html = text_of(page)
    assert setup.round.title in html and 'lang="fr"' in html  # the tester's language
    with client.session_transaction() as session:
        assert set(session.keys()) <= {"csrf_token"}
    assert client.get("/account").status_code == 303  # still anonymous everywhere else


def test_an_unknown_link_says_so(client, invited):
    page = client.get("/r/not-a-real-token")

    assert page.status_code == 404
    assert 'role="alert"' in text_of(page)


def test_submitting_with_a_missing_answer_shows_the_errors_and_keeps_the_values(
    client, db_session, invited
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    values = complete_values(setup)
    missing = f"q{setup.question(QuestionKind.NPS).id}"
    del values[missing]

    response = client.post(url, data={**values, "action": "submit"})

    assert response.status_code == 422
    html = text_of(response)
    assert 'id="error-summary"' in html and f'href="#{missing}"' in html
    assert f'id="{missing}-error"' in html
    assert "Plus d&#39;exemples concrets." in html  # the text answer is kept
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_draft_then_submit_then_edit_through_the_link(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    values = complete_values(setup)
    rating = f"q{setup.question(QuestionKind.RATING).id}"

    draft = client.post(url, data={rating: "3", "action": "draft"})
    submitted = client.post(url, data={**values, "action": "submit"})
    values[rating] = "1"
    edited = client.post(url, data={**values, "action": "submit"})

    assert [draft.status_code, submitted.status_code, edited.status_code] == [303, 303, 303]
    response = db_session.scalars(select(Response)).one()
    db_session.refresh(response)
    assert response.state == ResponseState.SUBMITTED
    assert services.response_values(response)[rating] == ["1"]
    page = text_of(client.get(url))
    assert "Save my changes" in page or "Enregistrer mes modifications" in page


def test_a_double_click_on_submit_makes_one_response(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    data = {**complete_values(setup), "action": "submit"}

    first, second = client.post(url, data=data), client.post(url, data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_after_close_the_link_shows_the_round_is_closed_and_takes_nothing(
    client, db_session, world, invited
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    services.close_round(db_session, setup.round, actor=world.manager, now=utcnow())
    db_session.commit()

    page = client.get(url)
    refused = client.post(url, data={**complete_values(setup), "action": "submit"})
    item = client.post(
        f"{url}/items/new", data={"kind": "issue", "severity": "minor", "title": "x"}
    )

    assert page.status_code == 200 and 'role="alert"' in text_of(page)
    assert refused.status_code == 409 and item.status_code == 409
    assert db_session.scalar(select(func.count(Response.id))) == 0
    assert db_session.scalar(select(func.count(FeedbackItem.id))) == 0


def test_reporting_and_editing_an_item_through_the_link(client, db_session, world, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    brick = setup.bricks[1]

    form = client.get(f"{url}/items/new?brick={brick.id}")
    reported = client.post(
        f"{url}/items/new",
        data={
            "brick_id": str(brick.id),
            "location": "slide 4",
            "kind": "issue",
            "severity": "blocking",
            "title": "Le quiz bloque",
            "description": "Bouton inactif.",
        },
    )
    item = db_session.scalars(select(FeedbackItem)).one()
    edited = client.post(
        f"{url}/items/{item.id}/edit",
        data={
            "brick_id": str(brick.id),
            "location": "slide 5",
            "kind": "issue",
            "severity": "major",
            "title": "Le quiz bloque",
        },
    )

    assert form.status_code == 200 and f'selected value="{brick.id}"' in text_of(form)
    assert reported.status_code == 303 and reported.location.endswith("#my-items")
    assert edited.status_code == 303
    db_session.refresh(item)
    assert (item.location, item.severity.value) == ("slide 5", "major")
    assert "Le quiz bloque" in text_of(client.get(url))


def test_a_tester_cannot_touch_another_testers_item(client, db_session, world, invited):
    setup, tester = invited
    other = make_tester(db_session, world.academy)
    invite(db_session, setup.round, [other])
    [mine] = [services.invitation_of(db_session, setup.round, tester.id)]
    item = services.report_item(
        db_session,
        mine,
        services.ItemInput(None, "", "idea", "minor", "Mon idée"),
        secret_key=client.application.secret_key,
        now=utcnow(),
    )

    response = client.get(f"/r/{token_of(setup.round, other)}/items/{item.id}/edit")

    assert response.status_code == 404


def test_the_answer_page_runs_a_bounded_number_of_queries(
    client, db_session, world, invited, queries
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    client.post(url, data={**complete_values(setup), "action": "submit"})
    with queries() as counter:
        page = client.get(url)

    assert page.status_code == 200
    assert counter.count <= 12


# -- Logged in --------------------------------------------------------------------------------


def test_a_tester_finds_the_round_in_my_rounds_and_answers_logged_in(
    client, db_session, world, login
):
    setup = make_round(db_session, world.academy, world.manager)
    give_profile(db_session, world.academy, world.tester)
    invite(db_session, setup.round, [world.tester])
    uninvited = make_round(db_session, world.academy, world.manager)
    login(world.tester)
    base = f"/a/{world.academy.slug}"

    mine = client.get(f"{base}/my-rounds")
    answered = client.post(
        f"{base}/rounds/{setup.round.id}/answer",
        data={**complete_values(setup), "action": "submit"},
    )
    refused = client.get(f"{base}/rounds/{uninvited.round.id}/answer")

    assert mine.status_code == 200 and setup.round.title in text_of(mine)
    assert uninvited.round.title not in text_of(mine)
    assert answered.status_code == 303
    assert refused.status_code == 403
    response = db_session.scalars(select(Response)).one()
    assert response.respondent_id == world.tester.id


def test_after_close_a_logged_in_tester_reads_their_answers_read_only(
    client, db_session, world, login
):
    setup = make_round(db_session, world.academy, world.manager)
    give_profile(db_session, world.academy, world.tester)
    [invitation] = invite(db_session, setup.round, [world.tester])
    services.save_response(
        db_session,
        invitation,
        complete_values(setup),
        submit=True,
        secret_key=client.application.secret_key,
        now=utcnow(),
    )
    services.close_round(db_session, setup.round, actor=world.manager, now=utcnow())
    login(world.tester)

    page = text_of(client.get(f"/a/{world.academy.slug}/rounds/{setup.round.id}/answer"))

    assert "disabled" in page and 'name="action"' not in page
    assert 'value="9" checked' in page


# -- The panel import -------------------------------------------------------------------------


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
    assert (
        db_session.scalar(
            select(func.count(User.id)).where(
                User.email.in_(["lea@example.com", "ito@example.com"])
            )
        )
        == 2
    )
    listing = text_of(client.get(f"{base}/?site=Lyon"))
    assert "ito@example.com" in listing and "lea@example.com" not in listing


def test_segments_pages(client, db_session, world, login):
    make_tester(db_session, world.academy, business_unit="Finance")
    make_tester(db_session, world.academy, business_unit="IT")
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel/segments"

    created = client.post(f"{base}/new", data={"name": "Finance", "business_unit": ["Finance"]})
    listing = text_of(client.get(f"{base}/"))

    assert created.status_code == 303
    assert re.search(r"Finance</a></td>.*?<td class=\"num\">1</td>", listing, re.S)


def test_the_link_speaks_the_testers_language_whatever_the_browser_says(client, db_session, world):
    """The personal link follows the invited person's language, whatever the browser says."""
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy, language="en")
    invite(db_session, setup.round, [tester])

    page = client.get(f"/r/{token_of(setup.round, tester)}", headers={"Accept-Language": "fr"})

    assert 'lang="en"' in text_of(page)
