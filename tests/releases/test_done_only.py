"""A release delivers done bricks: marking it released needs every brick in a done stage, or the
unfinished ones moved out (another release, or none) in the same form, or an override naming
them; the notes list only done bricks as delivered; the stakeholder's home counts only done
bricks of released releases; opening a round on unfinished bricks warns the manager."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import SECRET
from tests.releases.helpers import add_bricks, make_testers, run_round
from tracker.academies.models import StageCategory
from tracker.backlog.models import Brick
from tracker.db import utcnow
from tracker.errors import Conflict
from tracker.feedback import questionnaire
from tracker.feedback.rounds import create_round
from tracker.releases import notes, overview, services
from tracker.releases.models import ReleaseEvent, ReleaseEventKind, ReleaseState


@pytest.fixture
def approved(db_session, world):
    """An approved release (gate passed, go) with one done brick and two unfinished ones."""
    release = services.create_release(
        db_session, world.academy, name="Incrément 2", actor=world.manager, now=utcnow()
    )
    done = add_bricks(db_session, world.academy, release, 1)[0]
    testers = make_testers(db_session, world.academy, 3)
    run_round(
        db_session, world.academy, release, world.manager, testers, secret_key=SECRET,
        rating=5, nps=10,
    )  # fmt: skip
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())
    late = add_bricks(db_session, world.academy, release, 2, done=False)
    for n, brick in enumerate(late, start=1):
        brick.title = f"Unfinished {n}"
    db_session.flush()
    return release, done, late


def test_unfinished_bricks_refuse_the_release_naming_them(db_session, world, approved):
    release, _done, late = approved

    with pytest.raises(services.ReleaseRefused) as refused:
        services.mark_released(
            db_session, release, destinations={b.number: services.KEEP for b in late},
            actor=world.manager, now=utcnow(),
        )  # fmt: skip
    with pytest.raises(Conflict):  # the page did not show them: it is out of date
        services.mark_released(db_session, release, actor=world.manager, now=utcnow())

    (message, field), *_ = refused.value.reasons
    assert field == "unfinished_reason"
    assert all(b.key in message for b in late)
    assert release.state == ReleaseState.APPROVED


def test_unfinished_bricks_moved_out_in_the_same_form(db_session, world, approved):
    release, done, (first, second) = approved
    later = services.create_release(
        db_session, world.academy, name="Incrément 3", actor=world.manager, now=utcnow()
    )

    services.mark_released(
        db_session, release, destinations={first.number: later.id, second.number: None},
        actor=world.manager, now=utcnow(),
    )  # fmt: skip

    assert release.state == ReleaseState.RELEASED
    assert (first.release_id, second.release_id, done.release_id) == (later.id, None, release.id)
    event = db_session.scalars(
        select(ReleaseEvent).where(
            ReleaseEvent.release_id == release.id,
            ReleaseEvent.kind == ReleaseEventKind.STATE_CHANGED,
            ReleaseEvent.to_state == ReleaseState.RELEASED,
        )
    ).one()
    assert event.changes["moved_out"] == [first.key, second.key]


def test_a_released_release_takes_no_brick(db_session, world, approved):
    release, _done, (first, second) = approved
    shipped = services.create_release(
        db_session, world.academy, name="Ancienne", actor=world.manager, now=utcnow()
    )
    shipped.state = ReleaseState.RELEASED
    db_session.flush()

    with pytest.raises(services.ReleaseRefused) as refused:
        services.mark_released(
            db_session, release, destinations={first.number: shipped.id, second.number: None},
            actor=world.manager, now=utcnow(),
        )  # fmt: skip

    assert refused.value.reasons[0][1] == f"brick_{first.number}"


def test_an_override_names_the_unfinished_bricks_and_the_notes_do_not_list_them(
    db_session, world, approved
):
    release, done, late = approved
    world.academy.default_locale = "en"

    services.mark_released(
        db_session, release, destinations={b.number: services.KEEP for b in late},
        unfinished_reason="Le sponsor veut la date", actor=world.manager, now=utcnow(),
    )  # fmt: skip
    draft = notes.generate_notes(db_session, release)

    event = db_session.scalars(
        select(ReleaseEvent).where(
            ReleaseEvent.release_id == release.id, ReleaseEvent.to_state == ReleaseState.RELEASED
        )
    ).one()
    assert event.changes["unfinished"] == [b.key for b in late]
    assert "Le sponsor veut la date" in event.note and late[0].key in event.note
    delivered, rest = draft.split("## Not delivered yet")
    assert done.title in delivered
    assert all(b.title not in delivered for b in late)
    assert all(b.title in rest.split("##")[0] for b in late)


def test_the_stakeholders_figures_count_done_bricks_of_released_releases(
    db_session, world, approved
):
    release, _done, late = approved
    services.mark_released(
        db_session, release, destinations={b.number: services.KEEP for b in late},
        unfinished_reason="Date", actor=world.manager, now=utcnow(),
    )  # fmt: skip

    home = overview.stakeholder_home(db_session, world.academy, world.stakeholder)

    assert [ln.release.id for ln in home.released] == [release.id]
    assert home.delivered.count == 1 and home.delivered.learner_minutes == 30


def test_opening_a_round_on_unfinished_bricks_warns_naming_them(client, db_session, world, login):
    release = services.create_release(
        db_session, world.academy, name="Bêta", actor=world.manager, now=utcnow()
    )
    ready = add_bricks(db_session, world.academy, release, 1)[0]
    waiting = add_bricks(db_session, world.academy, release, 1, done=False)[0]
    review = next(s for s in world.academy.stages if s.category == StageCategory.REVIEW)
    ready.stage_id = review.id
    round_ = create_round(
        db_session, world.academy, release_id=release.id, title="Bêta 1",
        closes_at=utcnow().replace(year=utcnow().year + 1), actor=world.manager, now=utcnow(),
    )  # fmt: skip
    login(world.manager)

    assert questionnaire.bricks_not_ready(db_session, round_) == [waiting]
    page = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/").get_data(as_text=True)
    opened = client.post(f"/a/{world.academy.slug}/rounds/{round_.id}/open")
    after = client.get(opened.location).get_data(as_text=True)

    assert "Not yet in review or done" in page and waiting.key in page
    assert ready.key not in page.split("Not yet in review or done")[1].split("</p>")[0]
    assert opened.status_code == 303
    assert "Not yet in review or done: " + waiting.key in after


# -- Through the form ---------------------------------------------------------------------------


def test_the_form_moves_unfinished_bricks_out_or_keeps_them_with_a_reason(
    client, db_session, world, login, approved
):
    release, _done, (first, second) = approved
    login(world.manager)
    address = f"/a/{world.academy.slug}/releases/{release.id}/release"

    page = client.get(address).get_data(as_text=True)
    refused = client.post(
        address, data={f"brick_{first.number}": "keep", f"brick_{second.number}": ""}
    )
    done = client.post(
        address,
        data={
            f"brick_{first.number}": "keep",
            f"brick_{second.number}": "",
            "unfinished_reason": "Attendu par la conformité",
        },
    )

    assert first.key in page and f'name="brick_{second.number}"' in page
    assert refused.status_code == 422
    assert "Not done yet: " + first.key in refused.get_data(as_text=True)
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Brick, second.id).release_id is None
    assert db_session.get(Brick, first.id).release_id == release.id
