"""Feedback items: anchored to a brick and a place, edited by their reporter only, stored once
when sent twice, refused on the field at fault."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import SECRET, invite, make_tester
from tracker.errors import DomainError, NotFound
from tracker.feedback.items import ItemInput, get_my_item, my_items, report_item, update_item
from tracker.feedback.models import (
    FeedbackItem,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


def test_an_item_is_anchored_to_a_brick_and_a_place_and_edited_by_its_reporter_only(
    db_session, world, setup, invitation
):
    brick = setup.bricks[0]
    item = report_item(
        db_session,
        invitation,
        ItemInput(
            brick.id,
            " slide   4 ",
            "issue",
            "blocking",
            "La vidéo ne démarre pas",
            "Écran noir sur mobile.",
        ),
        secret_key=SECRET,
        now=LATER,
    )
    other = invite(db_session, setup.round, [make_tester(db_session, world.academy)], now=NOW)[0]

    assert (item.brick_id, item.location, item.reporter_id) == (
        brick.id,
        "slide 4",
        invitation.user_id,
    )
    mine = get_my_item(db_session, setup.round, invitation.user_id, item.id, secret_key=SECRET)
    update_item(
        db_session,
        mine,
        invitation,
        ItemInput(brick.id, "02:13", "issue", "major", "Son coupé"),
        now=LATER,
    )
    assert (item.location, item.severity.value, item.title) == ("02:13", "major", "Son coupé")
    with pytest.raises(NotFound):
        get_my_item(db_session, setup.round, other.user_id, item.id, secret_key=SECRET)
    assert my_items(db_session, setup.round, other.user_id, secret_key=SECRET) == []


def test_the_same_report_sent_twice_is_stored_once(db_session, setup, invitation):
    data = ItemInput(None, "", "idea", "minor", "Un quiz à la fin")

    first = report_item(db_session, invitation, data, secret_key=SECRET, now=LATER)
    second = report_item(db_session, invitation, data, secret_key=SECRET, now=LATER)

    assert first.id == second.id
    assert db_session.scalar(select(func.count(FeedbackItem.id))) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ItemInput(None, "", "issue", "minor", "  "), "title"),
        (ItemInput(None, "", "rant", "minor", "Bof"), "kind"),
        (ItemInput(None, "", "issue", "apocalyptic", "Bof"), "severity"),
        (ItemInput(999999, "", "issue", "minor", "Bof"), "brick_id"),
        (ItemInput(None, "x" * 121, "issue", "minor", "Bof"), "location"),
    ],
)
def test_a_wrong_item_is_refused_on_its_field(db_session, invitation, data, field):
    with pytest.raises(DomainError) as refused:
        report_item(db_session, invitation, data, secret_key=SECRET, now=LATER)

    assert refused.value.field == field
