"""Results computed by SQL aggregates: figures, per brick, per segment, free text, query count."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import (
    add_brick,
    add_invitation,
    add_item,
    add_question,
    add_round,
    make_release,
    make_user,
    respond,
)
from tracker.feedback import results
from tracker.feedback.models import Answer, ItemStatus, QuestionKind, RoundState
from tracker.feedback.results import Dimension


def figures_of(round_results, question):
    return next(r for r in round_results.questions if r.question.id == question.id)


def test_progress_counts_invitations_responses_and_drafts(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    for n in range(5):
        add_invitation(db_session, round_, make_user(db_session), completed=n < 2)
    question = add_question(db_session, round_, QuestionKind.RATING)
    respond(db_session, round_, {question: 4})
    respond(db_session, round_, {question: 5})
    respond(db_session, round_, {question: 1}, submitted=False)

    progress = results.round_progress(db_session, round_)

    assert (progress.invited, progress.completed, progress.submitted, progress.drafts) == (
        5, 2, 2, 1,
    )  # fmt: skip
    assert progress.rate == pytest.approx(40.0)


def test_figures_per_question_from_submitted_responses_only(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    rating = add_question(db_session, round_, QuestionKind.RATING)
    nps = add_question(db_session, round_, QuestionKind.NPS)
    yes_no = add_question(db_session, round_, QuestionKind.YES_NO)
    single = add_question(db_session, round_, QuestionKind.SINGLE_CHOICE, choices=["A", "B"])
    multi = add_question(db_session, round_, QuestionKind.MULTI_CHOICE, choices=["X", "Y", "Z"])
    answers = [(5, 10, True, "A", ["X", "Y"]), (4, 9, True, "A", ["X"]), (2, 3, False, "B", [])]
    for r, n, yn, s, m in answers:
        respond(db_session, round_, {rating: r, nps: n, yes_no: yn, single: s, multi: m})
    respond(db_session, round_, {rating: 1, nps: 0, yes_no: False, single: "B", multi: ["Z"]},
            submitted=False)  # fmt: skip

    found = results.round_results(db_session, round_)

    r = figures_of(found, rating).overall
    assert [b.count for b in r.buckets] == [0, 1, 0, 1, 1]
    assert r.mean == pytest.approx(11 / 3)
    assert r.csat == pytest.approx(200 / 3)
    assert r.indicative
    n = figures_of(found, nps).overall.nps
    assert (n.promoters, n.passives, n.detractors) == (2, 0, 1)
    assert n.score == pytest.approx(100 / 3)
    assert figures_of(found, yes_no).overall.yes_share == pytest.approx(200 / 3)
    s = figures_of(found, single).overall
    assert [(b.value, b.count) for b in s.buckets] == [("A", 2), ("B", 1)]
    m = figures_of(found, multi).overall
    # Shares of the 2 people who ticked something (the third left it empty).
    assert m.respondents == 2
    assert [(b.value, b.count, b.percent) for b in m.buckets] == [
        ("X", 2, 100.0), ("Y", 1, 50.0), ("Z", 0, 0.0),
    ]  # fmt: skip


def test_per_brick_questions_have_figures_for_each_brick_and_overall(db_session, world) -> None:
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release)
    video = add_brick(db_session, world.academy, release, "Video")
    quiz = add_brick(db_session, world.academy, release, "Quiz")
    question = add_question(db_session, round_, QuestionKind.RATING, per_brick=True)
    respond(db_session, round_, {question: {video: 5, quiz: 2}})
    respond(db_session, round_, {question: {video: 4}})

    found = figures_of(results.round_results(db_session, round_), question)

    per_brick = {brick.title: figures for brick, figures in found.per_brick}
    assert per_brick["Video"].csat == pytest.approx(100.0)
    assert per_brick["Video"].respondents == 2
    assert per_brick["Quiz"].csat == pytest.approx(0.0)
    assert found.overall.counts == {5: 1, 4: 1, 2: 1}


def test_item_counts_by_status(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    add_item(db_session, round_)
    add_item(db_session, round_, status=ItemStatus.PLANNED)
    add_item(db_session, round_, status=ItemStatus.DONE)

    found = results.round_results(db_session, round_)

    assert found.items_by_status[ItemStatus.NEW] == 1
    assert found.items_open == 2


def segment_round(db_session, world, *, anonymous: bool, sizes: dict[str, int]):
    round_ = add_round(db_session, world.academy, anonymous=anonymous)
    rating = add_question(db_session, round_, QuestionKind.RATING)
    for unit, size in sizes.items():
        for n in range(size):
            respond(db_session, round_, {rating: 5 if n % 2 == 0 else 2}, business_unit=unit)
    return round_, rating


def test_anonymous_rounds_hide_segments_smaller_than_five(db_session, world) -> None:
    round_, rating = segment_round(
        db_session, world, anonymous=True, sizes={"Sales": 6, "IT": 5, "Legal": 4, "HR": 2}
    )

    found = results.segment_results(db_session, round_, Dimension.BUSINESS_UNIT, [rating])

    rows = {row.value: row for row in found.rows}
    assert not rows["Sales"].hidden and not rows["IT"].hidden
    assert rows["Legal"].hidden and rows["HR"].hidden
    assert rows["Legal"].figures == {}  # nothing to leak
    assert rows["Sales"].figures[rating.id].csat == pytest.approx(50.0)


def test_named_rounds_show_every_segment(db_session, world) -> None:
    round_, rating = segment_round(db_session, world, anonymous=False, sizes={"Sales": 6, "HR": 1})

    found = results.segment_results(db_session, round_, Dimension.BUSINESS_UNIT, [rating])

    assert not any(row.hidden for row in found.rows)


def test_one_small_segment_also_hides_the_next_smallest(db_session, world) -> None:
    # Overall minus Sales minus IT would give Legal's 3 answers away: IT is hidden too.
    round_, rating = segment_round(
        db_session, world, anonymous=True, sizes={"Sales": 9, "IT": 6, "Legal": 3}
    )

    found = results.segment_results(db_session, round_, Dimension.BUSINESS_UNIT, [rating])

    assert {row.value for row in found.rows if row.hidden} == {"IT", "Legal"}


def test_segments_by_another_dimension(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    rating = add_question(db_session, round_, QuestionKind.RATING)
    respond(db_session, round_, {rating: 5}, site="Lyon")
    respond(db_session, round_, {rating: 1}, site="Lyon")
    respond(db_session, round_, {rating: 4}, site="")

    found = results.segment_results(db_session, round_, Dimension.SITE, [rating])

    assert [(row.value, row.size) for row in found.rows] == [("Lyon", 2), ("", 1)]
    assert found.rows[0].figures[rating.id].mean == pytest.approx(3.0)


def test_free_text_is_searched_case_insensitively_and_paged(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    text = add_question(db_session, round_, QuestionKind.TEXT)
    for n in range(25):
        respond(db_session, round_, {text: f"Answer {n}"})
    respond(db_session, round_, {text: "La VIDÉO est trop longue"})
    respond(db_session, round_, {text: "100% parfait"})
    respond(db_session, round_, {text: "vidéo secrète"}, submitted=False)

    first = results.text_answers(db_session, round_, page=1)
    last = results.text_answers(db_session, round_, page=99)
    found = results.text_answers(db_session, round_, query="vidéo")
    percent = results.text_answers(db_session, round_, query="0%")

    assert (first.total, first.pages, len(first.answers)) == (27, 2, 20)
    assert (last.page, len(last.answers)) == (2, 7)
    assert [a.text for a in found.answers] == ["La VIDÉO est trop longue"]
    # % and _ are searched for literally.
    assert [a.text for a in percent.answers] == ["100% parfait"]


def test_anonymous_free_text_shows_no_respondent(db_session, world) -> None:
    named = add_round(db_session, world.academy)
    anonymous = add_round(db_session, world.academy, anonymous=True)
    alice = make_user(db_session, name="Alice")
    for round_ in (named, anonymous):
        text = add_question(db_session, round_, QuestionKind.TEXT)
        respond(db_session, round_, {text: "Great"}, respondent=alice)

    assert results.text_answers(db_session, named).answers[0].respondent == "Alice"
    assert results.text_answers(db_session, anonymous).answers[0].respondent is None


def many_responses(db_session, world, count: int):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=True)
    bricks = [add_brick(db_session, world.academy, release) for _ in range(3)]
    questions = [
        add_question(db_session, round_, QuestionKind.RATING),
        add_question(db_session, round_, QuestionKind.NPS),
        add_question(db_session, round_, QuestionKind.RATING, per_brick=True),
        add_question(db_session, round_, QuestionKind.MULTI_CHOICE, choices=["A", "B"]),
        add_question(db_session, round_, QuestionKind.TEXT),
    ]
    rating, nps, per_brick, multi, text = questions
    for n in range(count):
        respond(
            db_session, round_,
            {rating: 1 + n % 5, nps: n % 11,
             per_brick: {b: 1 + (n + i) % 5 for i, b in enumerate(bricks)},
             multi: ["A", "B"][: n % 3], text: f"text {n}"},
            business_unit=f"BU{n % 4}", flush=False,
        )  # fmt: skip
    db_session.flush()
    return round_, questions


@pytest.mark.parametrize("dimension", list(Dimension))
def test_the_number_of_queries_does_not_grow_with_responses(
    db_session, world, queries, dimension
) -> None:
    counts = []
    for size in (5, 60):
        round_, questions = many_responses(db_session, world, size)
        db_session.expire_all()
        with queries() as counter:
            found = results.round_results(db_session, round_)
            results.segment_results(db_session, round_, dimension, questions)
            results.text_answers(db_session, round_, query="text")
        assert found.progress.submitted == size
        counts.append(counter.count)

    assert counts[0] == counts[1]
    # Reloading the expired round, then 8 + 2 + 2 aggregate queries.
    assert counts[0] <= 13


@pytest.mark.parametrize("state", [RoundState.CLOSED, RoundState.OPEN])
def test_a_rounds_aggregates_are_computed_once_until_its_data_changes(
    db_session, world, queries, state
) -> None:
    round_, questions = many_responses(db_session, world, 12)
    rating = questions[0]
    round_.state = state
    db_session.commit()
    db_session.refresh(round_)

    with queries() as first:
        before = figures_of(results.round_results(db_session, round_), rating).overall
    with queries() as again:
        kept = figures_of(results.round_results(db_session, round_), rating).overall
    # The three GROUP BY queries over the answers are not run again, nor the change counters'
    # (read once per transaction).
    assert again.count == first.count - 4
    assert kept.counts == before.counts

    # An answer changes (a tester edits theirs; after the close, an erasure): the counters
    # move, the figures are computed again.
    answer = db_session.scalars(
        select(Answer).where(Answer.question_id == rating.id, Answer.value_int == 1)
    ).first()
    answer.value_int = 5
    db_session.commit()
    after = figures_of(results.round_results(db_session, round_), rating).overall
    assert after.counts.get(1, 0) == before.counts[1] - 1
    assert after.counts[5] == before.counts[5] + 1

    # Changed but not committed yet (no counter moved): computed from this transaction's data.
    answer.value_int = 1
    db_session.flush()
    pending = figures_of(results.round_results(db_session, round_), rating).overall
    assert pending.counts == before.counts
