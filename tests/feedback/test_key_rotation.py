"""A secret key rotated while a round is open: a tester's draft and items, saved under the old
key, are still theirs (found through TRACKER_SECRET_KEY_FALLBACKS) and move to the new key when
next saved; once the old key is removed, nothing was lost."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.feedback.factories import complete_values, invite, make_round, make_tester
from tracker.db import utcnow
from tracker.feedback.answers import my_response, my_rounds, save_response
from tracker.feedback.items import ItemInput, get_my_item, my_items, report_item

OLD, NEW = "old-secret-" + "o" * 30, "new-secret-" + "n" * 30


@pytest.mark.parametrize("anonymous", [False, True])
def test_drafts_and_items_survive_a_rotation(db_session, world, anonymous) -> None:
    now = utcnow().replace(microsecond=0)
    setup = make_round(
        db_session,
        world.academy,
        world.manager,
        anonymous=anonymous,
        now=now - dt.timedelta(hours=1),
    )
    tester = make_tester(db_session, world.academy)
    (invitation,) = invite(db_session, setup.round, [tester], now=now - dt.timedelta(hours=1))
    round_ = setup.round
    values = complete_values(setup)
    draft = save_response(db_session, invitation, values, submit=False, secret_key=OLD, now=now)
    item = report_item(
        db_session,
        invitation,
        ItemInput(None, "", "idea", "minor", "an idea"),
        secret_key=OLD,
        now=now,
    )

    # Rotated: the new key signs, the old one only verifies.
    assert my_response(db_session, round_, tester.id, secret_key=NEW) is None
    found = my_response(db_session, round_, tester.id, secret_key=NEW, old_keys=[OLD])
    assert found is not None and found.id == draft.id
    assert [
        i.id for i in my_items(db_session, round_, tester.id, secret_key=NEW, old_keys=[OLD])
    ] == [item.id]
    assert (
        get_my_item(db_session, round_, tester.id, item.id, secret_key=NEW, old_keys=[OLD]).id
        == item.id
    )
    current, _past = my_rounds(
        db_session, world.academy, tester.id, secret_key=NEW, old_keys=[OLD], now=now
    )
    assert [mine.status for mine in current] == ["draft"]

    # The next save (and the next item) moves them to the new key: the same response, no copy.
    submitted = save_response(
        db_session, invitation, values, submit=True, secret_key=NEW, old_keys=[OLD], now=now
    )
    report_item(
        db_session,
        invitation,
        ItemInput(None, "", "idea", "minor", "another idea"),
        secret_key=NEW,
        old_keys=[OLD],
        now=now,
    )
    assert submitted.id == draft.id

    # The old key removed: everything is found with the new one alone.
    again = my_response(db_session, round_, tester.id, secret_key=NEW)
    assert again is not None and again.id == draft.id
    assert len(my_items(db_session, round_, tester.id, secret_key=NEW)) == 2
