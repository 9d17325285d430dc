"""The questionnaire: typing choices, adding, editing, reordering and deleting questions while
the round is a draft, the rules a question follows, frozen once open."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_round
from tracker.errors import DomainError
from tracker.feedback.models import (
    Question,
)
from tracker.feedback.questionnaire import (
    QuestionInput,
    add_question,
    default_questions,
    delete_question,
    move_question,
    parse_choices,
    update_question,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_choices_are_typed_one_per_line():
    assert parse_choices("  Oui \n\nNon\n  oui\nPeut-être  \n") == ["Oui", "Non", "Peut-être"]


def test_questions_are_added_edited_reordered_and_deleted_while_draft(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)
    round_ = setup.round

    added = add_question(
        db_session,
        round_,
        QuestionInput("multi_choice", "Sur quels appareils ?", choices="PC\nMobile\nTablette"),
    )
    update_question(
        db_session,
        added,
        QuestionInput("multi_choice", "Sur quels appareils ?", required=True, choices="PC\nMobile"),
    )
    move_question(db_session, added, "up")
    move_question(db_session, round_.questions[0], "up")  # already first: nothing

    prompts = [
        q.prompt
        for q in db_session.scalars(
            select(Question).where(Question.round_id == round_.id).order_by(Question.position)
        )
    ]
    assert prompts[-2] == "Sur quels appareils ?"
    assert added.choices == ["PC", "Mobile"] and added.required

    delete_question(db_session, added)
    assert "Sur quels appareils ?" not in [q.prompt for q in round_.questions]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (QuestionInput("single_choice", "Choix ?", choices="Seul"), "choices"),
        (QuestionInput("rating", "   "), "prompt"),
        (QuestionInput("nope", "Quoi ?"), "kind"),
        (QuestionInput("text", "Avis ?", gate_metric="csat"), "gate_metric"),
        (QuestionInput("rating", "Note ?", gate_metric="nps"), "gate_metric"),
        (QuestionInput("rating", "Appliquerez-vous ?", gate_metric="intention"), "gate_metric"),
    ],
)
def test_a_question_that_makes_no_sense_is_refused_on_its_field(db_session, world, data, field):
    setup = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)

    with pytest.raises(DomainError) as refused:
        add_question(db_session, setup.round, data)

    assert refused.value.field == field


def test_the_questionnaire_is_frozen_once_open(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    question = setup.round.questions[0]

    for attempt in (
        lambda: add_question(db_session, setup.round, QuestionInput("text", "?")),
        lambda: update_question(db_session, question, QuestionInput("text", "?")),
        lambda: delete_question(db_session, question),
        lambda: move_question(db_session, question, "down"),
    ):
        with pytest.raises(DomainError):
            attempt()
    assert (
        db_session.scalar(
            select(func.count(Question.id)).where(Question.round_id == setup.round.id)
        )
        == len(default_questions("en")) + 1
    )
