"""My work: each part for the roles that have it, what waits and only that, and a page whose
query count does not grow with the academy."""

from __future__ import annotations

from tests.factories import add_invitation, make_brick, make_need, make_round
from tracker.academies.models import Role
from tracker.backlog import services as brick_services
from tracker.db import utcnow
from tracker.workspace import services


def work_of(session, world, user, role):
    return services.my_work(session, world.academy, user, role=role)


def test_a_designer_sees_their_bricks_by_stage_open_items_and_mentions(db_session, world):
    mine = make_brick(db_session, world, "Ma brique", owner_id=world.designer.id)
    make_brick(db_session, world, "Pas à moi", owner_id=world.manager.id)
    asking = f"Peux-tu relire, @{world.designer.display_name} ?"
    brick_services.add_comment(db_session, mine, author=world.manager, body=asking, now=utcnow())
    brick_services.add_comment(
        db_session, mine, author=world.manager, body="Sans mention", now=utcnow()
    )

    work = work_of(db_session, world, world.designer, Role.DESIGNER)

    assert [[b.title for b in bricks] for _stage, bricks in work.bricks_by_stage] == [["Ma brique"]]
    assert [c.body for c, _b in work.mentions] == [asking]
    assert all(b.id == mine.id for _item, b in work.open_items)
    assert "rounds" not in work.parts and "decisions" not in work.parts


def test_a_person_is_not_told_of_their_own_mention(db_session, world):
    brick = make_brick(db_session, world, owner_id=world.designer.id)
    brick_services.add_comment(
        db_session, brick, author=world.designer, body=f"@{world.designer.display_name}",
        now=utcnow(),
    )  # fmt: skip

    assert work_of(db_session, world, world.designer, Role.DESIGNER).mentions == []


def test_a_tester_sees_the_open_rounds_they_have_not_answered(db_session, world):
    waiting = make_round(db_session, world.academy, world.manager)
    answered = make_round(db_session, world.academy, world.manager)
    add_invitation(db_session, waiting.round, world.tester)
    add_invitation(db_session, answered.round, world.tester, completed=True)
    make_round(db_session, world.academy, world.manager)  # not invited

    work = work_of(db_session, world, world.tester, Role.TESTER)

    assert [r.id for r in work.rounds] == [waiting.round.id]
    assert work.parts == {"rounds"}


def test_a_stakeholder_follows_their_open_needs(db_session, world):
    make_need(db_session, world, actor=world.stakeholder, title="Le mien")
    make_need(db_session, world, actor=world.manager, title="Pas le mien")

    work = work_of(db_session, world, world.stakeholder, Role.STAKEHOLDER)

    assert [n.title for n in work.needs] == ["Le mien"]
    assert "bricks" not in work.parts


def test_the_page_runs_as_many_queries_whatever_the_size(client, login, db_session, world):
    login(world.designer)
    url = f"/a/{world.academy.slug}/my-work"

    def count() -> int:
        client.get(url)
        client.application.config["QUERY_COUNT_HEADER"] = True
        try:
            response = client.get(url)
            assert response.status_code == 200
            return int(response.headers["X-Query-Count"])
        finally:
            client.application.config["QUERY_COUNT_HEADER"] = False

    make_brick(db_session, world, "Une", owner_id=world.designer.id)
    db_session.commit()
    few = count()
    for n in range(25):
        brick = make_brick(db_session, world, f"Brique {n}", owner_id=world.designer.id)
        brick_services.add_comment(
            db_session, brick, author=world.manager, body=f"@{world.designer.display_name} {n}",
            now=utcnow(),
        )  # fmt: skip
    db_session.commit()

    assert count() == few
