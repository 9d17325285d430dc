"""Anonymity, checked on the tables themselves: in an anonymous round no row of response,
answer or feedback_item links to a person or an invitation; completion is on the invitation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from tests.factories import SECRET, complete_values, invite, make_round, make_tester
from tracker.feedback.answers import my_response, save_response
from tracker.feedback.items import ItemInput, my_items, report_item
from tracker.feedback.keys import lookup_key

NOW = dt.datetime(2026, 3, 2, 9, 17, 42, tzinfo=dt.UTC)


def _rows(db_session, sql, **params):
    return [dict(row._mapping) for row in db_session.execute(text(sql), params)]


def _answer(db_session, setup, testers, invitations):
    for tester, invitation in zip(testers, invitations, strict=True):
        save_response(
            db_session,
            invitation,
            complete_values(setup),
            submit=True,
            secret_key=SECRET,
            now=NOW,
        )
        report_item(
            db_session,
            invitation,
            ItemInput(setup.bricks[0].id, "slide 4", "issue", "blocking", f"Bloqué ({tester.id})"),
            secret_key=SECRET,
            now=NOW,
        )
    db_session.flush()


def test_an_anonymous_round_stores_no_link_between_an_answer_and_a_person(db_session, world):
    # Arrange: an anonymous round, three testers who answer and report
    setup = make_round(db_session, world.academy, world.manager, anonymous=True, now=NOW)
    testers = [make_tester(db_session, world.academy) for _ in range(3)]
    invitations = invite(db_session, setup.round, testers, now=NOW)

    # Act
    _answer(db_session, setup, testers, invitations)

    # Assert: the tables, read with SQL
    round_id = setup.round.id
    responses = _rows(db_session, "SELECT * FROM response WHERE round_id = :r", r=round_id)
    items = _rows(db_session, "SELECT * FROM feedback_item WHERE round_id = :r", r=round_id)
    answers = _rows(
        db_session,
        "SELECT answer.* FROM answer JOIN response ON response.id = answer.response_id"
        " WHERE response.round_id = :r",
        r=round_id,
    )
    assert len(responses) == 3 and len(items) == 3 and answers

    # No column of these tables names a person or an invitation...
    columns = set(responses[0]) | set(items[0]) | set(answers[0])
    assert not {c for c in columns if "invitation" in c or c in ("user_id", "tester_id")}
    assert {r["respondent_id"] for r in responses} == {None}
    assert {i["reporter_id"] for i in items} == {None}

    # ... and no value in them equals an identifier stored elsewhere.
    people = {t.id for t in testers}
    invitation_rows = _rows(
        db_session, "SELECT * FROM round_invitation WHERE round_id = :r", r=round_id
    )
    elsewhere = {str(v) for row in invitation_rows for v in row.values() if v is not None}
    elsewhere |= {str(p) for p in people}
    elsewhere |= {t.email for t in testers}
    for row in responses + items:
        assert row["lookup_key"] not in elsewhere
        assert len(row["lookup_key"]) == 64
    assert not {r["lookup_key"] for r in responses} & {i["lookup_key"] for i in items}
    assert set(answers[0]) == {
        "id",
        "response_id",
        "question_id",
        "brick_id",
        "value_int",
        "value_text",
    }

    # Times on responses and items are kept to the day: they cannot be matched to the
    # precise completion times of the invitations.
    for row in responses + items:
        for column in ("created_at", "updated_at", "submitted_at"):
            if row.get(column) is not None:
                assert str(row[column])[11:19] in ("00:00:00", ""), (column, row[column])

    # Completion is tracked on the invitations only.
    assert all(inv["completed_at"] is not None for inv in invitation_rows)


def test_each_tester_still_finds_their_own_anonymous_answers_and_items(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, anonymous=True, now=NOW)
    testers = [make_tester(db_session, world.academy) for _ in range(2)]
    invitations = invite(db_session, setup.round, testers, now=NOW)
    _answer(db_session, setup, testers, invitations)

    for tester in testers:
        response = my_response(db_session, setup.round, tester.id, secret_key=SECRET)
        items = my_items(db_session, setup.round, tester.id, secret_key=SECRET)
        assert response is not None and response.state.value == "submitted"
        assert [i.title for i in items] == [f"Bloqué ({tester.id})"]


def test_a_named_round_does_link_answers_to_their_tester(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, anonymous=False, now=NOW)
    tester = make_tester(db_session, world.academy)
    invitations = invite(db_session, setup.round, [tester], now=NOW)

    _answer(db_session, setup, [tester], invitations)

    [response] = _rows(db_session, "SELECT * FROM response WHERE round_id = :r", r=setup.round.id)
    [item] = _rows(db_session, "SELECT * FROM feedback_item WHERE round_id = :r", r=setup.round.id)
    assert response["respondent_id"] == tester.id and item["reporter_id"] == tester.id
    assert response["lookup_key"] == lookup_key(SECRET, setup.round.id, tester.id)
