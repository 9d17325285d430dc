"""An e-mailed evaluation link takes one form of answers (then: "already answered", not an
error), marked used in the answers' transaction by an update only an unused link passes; the
answers still name no link. A public link takes any number of forms, but tells the browser that
answered, by a cookie, that it has."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import make_release
from tracker.db import utcnow
from tracker.learning import evaluations
from tracker.learning.models import EvaluationAnswer, EvaluationKind, EvaluationLink


def form_of(questions) -> dict:
    return {f"q{q.id}": {"rating": "4", "nps": "9", "yes_no": "1", "text": "Fine"}[q.kind.value]
            for q in questions}  # fmt: skip


def forms_stored(db_session) -> int:
    return db_session.scalar(select(func.count(func.distinct(EvaluationAnswer.submission))))


def test_an_emailed_link_takes_one_form(client, db_session, world):
    release = make_release(db_session, world.academy)
    evaluation, _public = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    questions = evaluations.questions_of(db_session, evaluation)
    token = evaluations.issue_for_mail(db_session, evaluation.id, utcnow())  # as a mail leaves
    db_session.commit()

    first = client.post(f"/e/{token}", data=form_of(questions))
    assert first.status_code == 200 and "Merci" in first.get_data(as_text=True)
    assert "brique_answered" not in first.headers.get("Set-Cookie", "")  # the link says it
    again = client.post(f"/e/{token}", data=form_of(questions))
    assert again.status_code == 200
    assert "Vous avez déjà répondu, merci." in again.get_data(as_text=True)
    page = client.get(f"/e/{token}")
    assert page.status_code == 200 and "déjà répondu" in page.get_data(as_text=True)
    assert 'name="q' not in page.get_data(as_text=True)  # no form any more
    assert forms_stored(db_session) == 1
    assert db_session.scalars(select(EvaluationLink)).one().used
    # The answers still say nothing of the link they came through.
    assert not {"link_id", "evaluation_link_id", "token_hash"} & set(
        EvaluationAnswer.__table__.columns.keys()
    )
    # Another e-mail's link still answers.
    other = evaluations.issue_for_mail(db_session, evaluation.id, utcnow())
    db_session.commit()
    assert "Merci" in client.post(f"/e/{other}", data=form_of(questions)).get_data(as_text=True)
    assert forms_stored(db_session) == 2


def test_two_forms_through_one_link_at_once_store_one(db_session, world):
    """Both read the link unused; the update lets only the first through."""
    release = make_release(db_session, world.academy)
    evaluation, _public = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    questions = evaluations.questions_of(db_session, evaluation)
    token = evaluations.issue_for_mail(db_session, evaluation.id, utcnow())
    assert token
    seen_first = evaluations.resolve_link(db_session, token)
    assert seen_first is not None and seen_first.single_use and not seen_first.used
    evaluations.submit_answers(db_session, evaluation, form_of(questions), now=utcnow(),
                               link=seen_first.link)  # fmt: skip
    stale = EvaluationLink(id=seen_first.link.id, single_use=True, used=False)  # read before
    with pytest.raises(evaluations.LinkUsed):
        evaluations.submit_answers(db_session, evaluation, form_of(questions), now=utcnow(),
                                   link=stale)  # fmt: skip
    assert forms_stored(db_session) == 1


def test_a_public_link_tells_the_browser_that_answered(client, db_session, world, login):
    release = make_release(db_session, world.academy)
    evaluation, public = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    questions = evaluations.questions_of(db_session, evaluation)
    db_session.commit()

    assert "Merci" in client.post(f"/e/{public}", data=form_of(questions)).get_data(as_text=True)
    page = client.get(f"/e/{public}")
    assert "Vous avez déjà répondu, merci." in page.get_data(as_text=True)
    again = client.post(f"/e/{public}", data=form_of(questions))
    assert "déjà répondu" in again.get_data(as_text=True)
    assert forms_stored(db_session) == 1
    client.delete_cookie(f"brique_answered_{evaluation.id}", path="/e/")  # another browser
    assert 'name="q' in client.get(f"/e/{public}").get_data(as_text=True)
    assert "Merci" in client.post(f"/e/{public}", data=form_of(questions)).get_data(as_text=True)
    assert forms_stored(db_session) == 2

    # The public link a manager asks for later takes any number of forms too.
    login(world.manager)
    made = client.post(f"/a/{world.academy.slug}/evaluations/{evaluation.id}/link")
    path = made.get_data(as_text=True).split("/e/", 1)[1].split("<", 1)[0].split('"', 1)[0]
    client.post("/logout")
    for _n in range(3):
        client.delete_cookie(f"brique_answered_{evaluation.id}", path="/e/")
        response = client.post(f"/e/{path}", data=form_of(questions))
        assert "Merci" in response.get_data(as_text=True)
    assert forms_stored(db_session) == 5
    assert not db_session.scalars(select(EvaluationLink)).one().single_use


def test_one_survey_speaks_each_learners_language(client, db_session, world, login):
    """Made by a French-speaking manager, the survey shows its questions in English to a learner
    whose browser asks for English or who switches the page's language, and in French to the
    others; a prompt Brique does not know is shown as written."""
    release = make_release(db_session, world.academy)
    login(world.manager)  # the academy and the manager speak French
    created = client.post(f"/a/{world.academy.slug}/releases/{release.id}/evaluations",
                          data={"kind": "reaction"})  # fmt: skip
    token = created.get_data(as_text=True).split("/e/", 1)[1].split("<", 1)[0].split('"', 1)[0]
    client.post("/logout")
    evaluation = evaluations.find_by_link(db_session, token)
    assert evaluation is not None
    custom = evaluations.questions_of(db_session, evaluation)[-1]
    custom.prompt = "Une question écrite à la main"
    db_session.commit()

    french = client.get(f"/e/{token}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Êtes-vous satisfait de cette formation" in french
    assert "How satisfied" not in french
    english = client.get(f"/e/{token}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = english.get_data(as_text=True)
    assert "How satisfied are you with this training?" in html and "Êtes-vous" not in html
    assert "Une question écrite à la main" in html  # a custom prompt, as written
    client.post("/language", data={"locale": "fr", "next": f"/e/{token}"})  # the page's switch
    switched = client.get(f"/e/{token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Êtes-vous satisfait de cette formation" in switched
