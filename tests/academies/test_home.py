"""The academy home: what is going on right now, for the people who build."""

from __future__ import annotations

from tests.factories import make_brick, make_member, stage_of
from tracker.academies.models import Role, StageCategory
from tracker.db import utcnow
from tracker.feedback.models import FeedbackRound, RoundInvitation, RoundState
from tracker.releases.models import Release
from tracker.sprints.models import Sprint, SprintState


def test_builders_see_the_sprint_the_open_rounds_and_new_needs(client, db_session, world, login):
    academy = world.academy
    sprint = Sprint(academy_id=academy.id, name="Sprint 9")
    release = Release(academy_id=academy.id, name="Increment 2")
    db_session.add_all([sprint, release])
    db_session.flush()
    done = stage_of(db_session, academy, StageCategory.DONE)
    make_brick(
        db_session,
        academy,
        "A",
        actor=world.manager,
        sprint_id=sprint.id,
        estimate_points=3,
        stage_id=done.id,
    )
    make_brick(
        db_session,
        academy,
        "B",
        actor=world.manager,
        format="mooc",
        sprint_id=sprint.id,
        estimate_points=5,
    )
    sprint.state = SprintState.ACTIVE  # started with these two bricks
    round_ = FeedbackRound(
        academy_id=academy.id, release_id=release.id, title="Beta 2", state=RoundState.OPEN
    )
    db_session.add(round_)
    db_session.flush()
    other = make_member(db_session, academy, Role.TESTER)
    db_session.add_all(
        [
            RoundInvitation(round_id=round_.id, user_id=world.tester.id),
            RoundInvitation(round_id=round_.id, user_id=other.id, completed_at=utcnow()),
        ]
    )
    db_session.flush()
    login(world.designer)

    page = client.get(f"/a/{academy.slug}/").get_data(as_text=True)

    assert "Sprint 9" in page and "3 of 8 points done" in page
    assert "Beta 2" in page and "1 of 2 testers answered (50%)" in page


def test_testers_do_not_see_the_builders_pulse(client, world, login):
    login(world.tester)

    page = client.get(f"/a/{world.academy.slug}/").get_data(as_text=True)

    assert "Right now" not in page
