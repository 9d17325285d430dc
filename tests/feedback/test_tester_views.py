"""The tester's pages over HTTP: the form and feedback items through the personal link, and
logged in ("My rounds"). (The manager's pages: test_round_views.py.)"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import (
    complete_values,
    give_profile,
    invite,
    make_round,
    make_tester,
    token_of,
)
from tracker.db import utcnow
from tracker.feedback.answers import invitation_of, response_values, save_response
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import (
    FeedbackItem,
    QuestionKind,
    Response,
    ResponseState,
)
from tracker.feedback.rounds import close_round


def text_of(response) -> str:
    return response.get_data(as_text=True)


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
    assert response_values(response)[rating] == ["1"]
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
    close_round(db_session, setup.round, actor=world.manager, now=utcnow())
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
    page = text_of(client.get(url))
    assert "Le quiz bloque" in page
    # "My feedback" says which brick the item is about, then where in it (no stray "·")
    assert f'<small class="item-where">{brick.title} · slide 5</small>' in page


def test_a_tester_cannot_touch_another_testers_item(client, db_session, world, invited):
    setup, tester = invited
    other = make_tester(db_session, world.academy)
    invite(db_session, setup.round, [other])
    [mine] = [invitation_of(db_session, setup.round, tester.id)]
    item = report_item(
        db_session,
        mine,
        ItemInput(None, "", "idea", "minor", "Mon idée"),
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
    save_response(
        db_session,
        invitation,
        complete_values(setup),
        submit=True,
        secret_key=client.application.secret_key,
        now=utcnow(),
    )
    close_round(db_session, setup.round, actor=world.manager, now=utcnow())
    login(world.tester)

    page = text_of(client.get(f"/a/{world.academy.slug}/rounds/{setup.round.id}/answer"))

    assert "disabled" in page and 'name="action"' not in page
    assert 'value="9" checked' in page


# -- The link's language ----------------------------------------------------------------------


def test_the_link_speaks_the_testers_language_whatever_the_browser_says(client, db_session, world):
    """The personal link follows the invited person's language, whatever the browser says."""
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy, language="en")
    invite(db_session, setup.round, [tester])

    page = client.get(f"/r/{token_of(setup.round, tester)}", headers={"Accept-Language": "fr"})

    assert 'lang="en"' in text_of(page)


# -- Progress and the draft saved while typing ----------------------------------------------------


def json_draft(client, url, data):
    return client.post(
        url, data={**data, "action": "draft"}, headers={"Accept": "application/json"}
    )


def test_the_form_numbers_its_questions_and_counts_the_answered_ones(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    rating = f"q{setup.question(QuestionKind.RATING).id}"

    before = text_of(client.get(url))
    client.post(url, data={rating: "3", "action": "draft"})
    after = text_of(client.get(url))

    numbers = [int(n) for n in re.findall(r'data-question="(\d+)"', before)]
    total = len(numbers)
    assert total > 3 and numbers == list(range(1, total + 1))  # in the order shown
    assert f"Question 1 sur {total}" in before and f"Question {total} sur {total}" in before
    assert (
        f"Réponses\u00a0: 0 sur {total}" in before
        and f'<progress max="{total}" value="0"' in before
    )
    assert (
        f"Réponses\u00a0: 1 sur {total}" in after and f'<progress max="{total}" value="1"' in after
    )
    assert "data-autosave" in before


def test_a_draft_saved_while_typing_is_answered_in_json_without_a_flash(
    client, db_session, invited
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    rating = f"q{setup.question(QuestionKind.RATING).id}"

    saved = json_draft(client, url, {rating: "4"})

    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    assert saved.get_json()["state"] == "draft"
    response = db_session.scalars(select(Response)).one()
    db_session.refresh(response)
    assert response.state == ResponseState.DRAFT and response_values(response)[rating] == ["4"]
    assert "flash-success" not in text_of(client.get(url))  # nothing queued for the next page


def test_a_bad_value_in_an_automatic_draft_is_a_json_problem(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    rating = f"q{setup.question(QuestionKind.RATING).id}"

    refused = json_draft(client, url, {rating: "9"})

    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert rating in refused.get_json()["errors"]
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_an_automatic_draft_after_close_is_a_json_409(client, db_session, world, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    close_round(db_session, setup.round, actor=world.manager, now=utcnow())
    db_session.commit()

    refused = json_draft(client, url, {f"q{setup.question(QuestionKind.RATING).id}": "3"})

    assert refused.status_code == 409 and refused.get_json()["code"] == "closed"


def test_a_submitted_response_is_not_saved_automatically(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    client.post(url, data={**complete_values(setup), "action": "submit"})

    page = text_of(client.get(url))

    assert "data-questionnaire" in page and "data-autosave" not in page


def test_a_scale_asked_of_every_brick_is_one_grid_a_row_per_brick(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    per_brick = next(
        q for q in setup.round.questions if q.per_brick and q.kind == QuestionKind.RATING
    )
    names = [f"q{per_brick.id}-b{brick.id}" for brick in setup.bricks]

    page = text_of(client.get(url))
    grid = page[page.index('<table class="scale-grid') : page.index("</table>")]
    assert grid.count('class="scale-grid-row') == len(setup.bricks) == 2
    assert "Ce module est-il clair ?" in grid
    for brick, name in zip(setup.bricks, names, strict=True):
        assert brick.title in grid
        # The inputs keep the names and ids of a single question (error links, drafts).
        assert f'id="{name}" name="{name}" value="1"' in grid
        assert f'role="radiogroup" aria-labelledby="{name}-brick"' in grid

    # Answered through the grid like anywhere else.
    answered = client.post(url, data={names[0]: "4", names[1]: "2", "action": "draft"})
    assert answered.status_code == 303
    again = text_of(client.get(url))
    assert f'id="{names[0]}-4" name="{names[0]}" value="4" checked' in again

    # Refused: the error sits in the brick's row, and the summary links to its first button.
    refused = text_of(client.post(url, data={names[0]: "4", "action": "submit"}))
    row = refused[refused.index(f'id="{names[1]}-brick"') :]
    assert f'id="{names[1]}-error"' in row[: row.index("</th>")]
    assert f'href="#{names[1]}"' in refused
