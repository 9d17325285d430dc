"""Backlog order: rank arithmetic, moves writing one rank, rebalancing, concurrent reorders."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from tests.conftest import committed_database, make_test_app, reset_database
from tests.factories import backlog_titles, by_title, make_academy, make_bricks, make_member
from tracker import migrate
from tracker.academies.models import Role
from tracker.auth.models import User
from tracker.backlog import ranking, reorder, services
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.db import make_engine, utcnow
from tracker.errors import DomainError

STEP = ranking.STEP


# -- Rank arithmetic -----------------------------------------------------------------------------


def test_between_takes_the_midpoint_or_a_step_beyond_an_end():
    assert ranking.between(None, None) == STEP
    assert ranking.between(10 * STEP, None) == 11 * STEP
    assert ranking.between(None, 3 * STEP) == 2 * STEP
    assert ranking.between(STEP, 2 * STEP) == STEP + STEP // 2
    assert ranking.between(4, 6) == 5


def test_between_says_when_no_integer_is_left():
    assert ranking.between(5, 6) is None
    assert ranking.between(5, 5) is None


def test_sixteen_moves_into_one_gap_fit_before_a_rebalance_is_needed():
    low, high = STEP, 2 * STEP
    moves = 0
    while (middle := ranking.between(low, high)) is not None:
        high = middle  # always insert right after `low`: the worst case
        moves += 1

    assert moves == 16


def test_rebalance_spaces_ranks_a_step_apart_and_keeps_the_order(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abcd"))
    # Squeeze the ranks together, with a tie broken by id.
    for title, rank in (("a", 7), ("b", 8), ("c", 8), ("d", 9)):
        db_session.execute(update(Brick).where(Brick.id == bricks[title].id).values(rank=rank))
    versions = {title: brick.version for title, brick in bricks.items()}

    ranking.rebalance(db_session, world.academy.id)

    ranks = db_session.execute(
        select(Brick.title, Brick.rank, Brick.version)
        .where(Brick.academy_id == world.academy.id)
        .order_by(Brick.rank)
    ).all()
    assert [(t, r) for t, r, _v in ranks] == [
        ("a", STEP),
        ("b", 2 * STEP),
        ("c", 3 * STEP),
        ("d", 4 * STEP),
    ]
    assert {t: v for t, _r, v in ranks} == versions


# -- Moves ---------------------------------------------------------------------------------------


def test_a_move_writes_only_the_moved_bricks_rank_and_records_it(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abcd"))
    before = {b.id: b.rank for b in bricks.values()}
    version = bricks["d"].version

    moved = reorder.move_brick(
        db_session, bricks["d"], actor=world.manager, before=bricks["b"], now=utcnow()
    )

    assert moved is True
    assert backlog_titles(db_session, world.academy) == ["a", "d", "b", "c"]
    after = dict(
        db_session.execute(
            select(Brick.id, Brick.rank).where(Brick.academy_id == world.academy.id)
        ).all()
    )
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {bricks["d"].id}
    assert before[bricks["a"].id] < after[bricks["d"].id] < before[bricks["b"].id]
    db_session.expire_all()
    assert db_session.get(Brick, bricks["d"].id).version == version
    event = db_session.scalars(
        select(Activity).where(
            Activity.brick_id == bricks["d"].id, Activity.kind == ActivityKind.REORDERED
        )
    ).one()
    assert event.changes == {"position": [4, 2]}
    assert event.actor_id == world.manager.id


def test_a_reorder_does_not_conflict_with_an_edit_in_progress(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"ab"))
    seen = bricks["b"].version  # someone opens b's edit form

    reorder.move_brick(
        db_session, bricks["b"], actor=world.manager, before=bricks["a"], now=utcnow()
    )
    services.update_brick(
        db_session,
        bricks["b"],
        actor=world.designer,
        expected_version=seen,
        title="b2",
        now=utcnow(),
    )

    assert backlog_titles(db_session, world.academy) == ["b2", "a"]


def test_move_after_and_to_the_ends(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abcd"))

    reorder.move_brick(db_session, bricks["a"], actor=None, after=bricks["c"], now=utcnow())
    assert backlog_titles(db_session, world.academy) == ["b", "c", "a", "d"]
    reorder.step_brick(db_session, bricks["d"], "top", actor=None, now=utcnow())
    assert backlog_titles(db_session, world.academy) == ["d", "b", "c", "a"]
    reorder.step_brick(db_session, bricks["d"], "bottom", actor=None, now=utcnow())
    assert backlog_titles(db_session, world.academy) == ["b", "c", "a", "d"]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (1, ["c", "a", "b", "d"]),
        (2, ["a", "c", "b", "d"]),
        (4, ["a", "b", "d", "c"]),
        (99, ["a", "b", "d", "c"]),
    ],
)
def test_move_to_a_position(db_session, world, position, expected):
    bricks = by_title(make_bricks(db_session, world, *"abcd"))

    reorder.move_brick_to_position(db_session, bricks["c"], position, actor=None, now=utcnow())

    assert backlog_titles(db_session, world.academy) == expected


def test_a_move_to_where_the_brick_already_is_changes_and_records_nothing(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abc"))
    rank = bricks["b"].rank

    assert (
        reorder.move_brick(db_session, bricks["b"], actor=None, after=bricks["a"], now=utcnow())
        is False
    )
    assert (
        reorder.move_brick_to_position(db_session, bricks["b"], 2, actor=None, now=utcnow())
        is False
    )
    assert reorder.step_brick(db_session, bricks["a"], "up", actor=None, now=utcnow()) is False

    assert bricks["b"].rank == rank
    kinds = db_session.scalars(
        select(Activity.kind).where(Activity.academy_id == world.academy.id)
    ).all()
    assert ActivityKind.REORDERED not in kinds


def test_up_and_down_skip_the_bricks_a_filtered_view_hides(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abcde"))
    shown = [Brick.title.in_(["a", "c", "e"])]  # b and d are filtered out

    reorder.step_brick(db_session, bricks["e"], "up", actor=None, scope=shown, now=utcnow())
    assert backlog_titles(db_session, world.academy) == ["a", "b", "e", "c", "d"]
    reorder.step_brick(db_session, bricks["a"], "down", actor=None, scope=shown, now=utcnow())
    assert backlog_titles(db_session, world.academy) == ["b", "e", "a", "c", "d"]


def test_moves_that_exhaust_a_gap_rebalance_and_keep_a_total_order(db_session, world, monkeypatch):
    bricks = by_title(make_bricks(db_session, world, *"abcdefghij"))
    rebalances = []
    original = ranking.rebalance
    monkeypatch.setattr(ranking, "rebalance", lambda *args: rebalances.append(1) or original(*args))
    expected = list(bricks)

    # Always move the last brick right after "a": each move halves the same gap.
    for _ in range(40):
        last = backlog_titles(db_session, world.academy)[-1]
        reorder.move_brick(db_session, bricks[last], actor=None, after=bricks["a"], now=utcnow())
        expected.insert(1, expected.pop())

    assert len(rebalances) == 2  # a gap of 2**16 takes 16 halvings: moves 17 and 34
    assert backlog_titles(db_session, world.academy) == expected
    ranks = db_session.scalars(select(Brick.rank).where(Brick.academy_id == world.academy.id)).all()
    assert len(set(ranks)) == len(expected)


def test_a_brick_cannot_move_next_to_itself_or_to_another_academy(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"ab"))
    stranger = services.create_brick(
        db_session, world.other_academy, actor=None, title="x", format="video", now=utcnow()
    )

    with pytest.raises(DomainError):
        reorder.move_brick(db_session, bricks["a"], actor=None, before=bricks["a"], now=utcnow())
    with pytest.raises(DomainError):
        reorder.move_brick(db_session, bricks["a"], actor=None, after=stranger, now=utcnow())
    with pytest.raises(DomainError):
        reorder.move_brick(db_session, bricks["a"], actor=None, now=utcnow())


# -- Two people reordering at once ---------------------------------------------------------------


def test_concurrent_moves_keep_one_total_order_without_duplicate_ranks(tmp_path):
    with committed_database(tmp_path, "reorder") as url:
        engine = make_engine(url)
        try:
            reset_database(engine)
            migrate.upgrade(engine)
            app = make_test_app(url, tmp_path)
            factory = sessionmaker(bind=engine, expire_on_commit=False)
            with app.app_context(), factory() as session:
                academy = make_academy(session)
                manager = make_member(session, academy, Role.MANAGER)
                ids = [
                    services.create_brick(
                        session,
                        academy,
                        actor=manager,
                        title=f"brick {n}",
                        format="video",
                        now=utcnow(),
                    ).id
                    for n in range(12)
                ]
                session.commit()
                academy_id, manager_id = academy.id, manager.id
            moves_done: list[bool] = []
            errors: list[BaseException] = []

            def worker(seed: int) -> None:
                rng = random.Random(seed)
                try:
                    with app.app_context():
                        for _ in range(15):
                            with factory() as session:
                                brick = session.get(Brick, rng.choice(ids))
                                actor = session.get(User, manager_id)
                                # Everyone aims at the same few places, to collide.
                                kind = rng.choice(["after", "position", "top", "up"])
                                if kind == "after":
                                    target = session.get(
                                        Brick, ids[0] if brick.id != ids[0] else ids[1]
                                    )
                                    moved = reorder.move_brick(
                                        session, brick, actor=actor, after=target, now=utcnow()
                                    )
                                elif kind == "position":
                                    moved = reorder.move_brick_to_position(
                                        session, brick, 2, actor=actor, now=utcnow()
                                    )
                                else:
                                    moved = reorder.step_brick(
                                        session, brick, kind, actor=actor, now=utcnow()
                                    )
                                session.commit()
                                moves_done.append(moved)
                except BaseException as error:  # reported by the main thread
                    errors.append(error)

            threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)

            assert not errors, errors
            assert len(moves_done) == 60
            with factory() as session:
                rows = session.execute(
                    select(Brick.id, Brick.rank).where(Brick.academy_id == academy_id)
                ).all()
                recorded = session.scalar(
                    select(Activity.id).where(Activity.kind == ActivityKind.REORDERED).limit(1)
                )
                reorders = session.scalars(
                    select(Activity.id).where(
                        Activity.academy_id == academy_id, Activity.kind == ActivityKind.REORDERED
                    )
                ).all()
            assert sorted(i for i, _rank in rows) == sorted(ids)  # each brick exactly once
            assert len({rank for _i, rank in rows}) == len(ids)  # no two share a rank
            assert recorded is not None
            assert len(reorders) == sum(moves_done)
        finally:
            engine.dispose()
