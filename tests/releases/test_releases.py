"""Releases as planning buckets: unique names, history of edits, the release page and its totals."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_brick
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.learning.outcomes import forget_kept as forget_outcomes
from tracker.releases import services
from tracker.releases.models import Release, ReleaseEvent, ReleaseEventKind, ReleaseState


def test_a_new_release_is_planned_and_its_creation_recorded(db_session, world):
    release = services.create_release(
        db_session, world.academy, name=" Incrément 1 ", goal="Socle", actor=world.manager,
        target_date=dt.date(2026, 12, 18), now=utcnow(),
    )  # fmt: skip

    assert (release.name, release.state) == ("Incrément 1", ReleaseState.PLANNED)
    [event] = services.release_history(db_session, release)
    assert (event.kind, event.to_state, event.actor_id) == (
        ReleaseEventKind.CREATED,
        ReleaseState.PLANNED,
        world.manager.id,
    )


def test_names_are_unique_per_academy(db_session, world):
    services.create_release(
        db_session, world.academy, name="Incrément 1", actor=world.manager, now=utcnow()
    )

    with pytest.raises(DomainError) as refused:
        services.create_release(
            db_session, world.academy, name="INCRÉMENT 1", actor=None, now=utcnow()
        )
    assert refused.value.field == "name"
    assert services.is_release_name_taken(db_session, world.academy, "incrément 1")
    assert not services.is_release_name_taken(db_session, world.other_academy, "Incrément 1")


def test_an_edit_records_what_changed(db_session, world):
    release = services.create_release(
        db_session, world.academy, name="R1", actor=world.manager, now=utcnow()
    )

    changes = services.update_release(
        db_session, release, name="R1", goal="New goal", target_date=dt.date(2027, 1, 15),
        actor=world.designer, now=utcnow(),
    )  # fmt: skip
    unchanged = services.update_release(
        db_session, release, name="R1", goal="New goal", target_date=dt.date(2027, 1, 15),
        actor=world.designer, now=utcnow(),
    )  # fmt: skip

    assert changes == {"goal": ["", "New goal"], "target_date": [None, "2027-01-15"]}
    assert unchanged == {}
    kinds = [e.kind for e in db_session.query(ReleaseEvent).filter_by(release_id=release.id)]
    assert kinds == [ReleaseEventKind.CREATED, ReleaseEventKind.EDITED]


def test_a_manager_creates_and_edits_a_release_through_the_pages(client, login, world, db_session):
    login(world.manager)
    base = f"/a/{world.academy.slug}/releases"

    created = client.post(
        f"{base}/new",
        data={
            "name": "Incrément 1 — Socle digital",
            "goal": "Les bases",
            "target_date": "2026-12-18",
        },
    )
    release = db_session.query(Release).filter_by(name="Incrément 1 — Socle digital").one()
    edited = client.post(
        f"{base}/{release.id}/edit",
        data={"name": "Incrément 1 — Socle", "goal": "Les bases", "target_date": "2026-12-20"},
    )

    assert created.status_code == 303
    assert edited.status_code == 303
    page = client.get(f"{base}/{release.id}/").get_data(as_text=True)
    assert "Incrément 1 — Socle" in page
    assert "badge-release-planned" in page
    assert "target date: 2026-12-18 → 2026-12-20" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Taken", "target_date": ""}, "Another release already has this name."),
        ({"name": "Fine", "target_date": "18/12/2026x"}, "Not a valid date value."),
        ({"name": "", "target_date": ""}, "This field is required."),
    ],
)
def test_a_bad_release_form_says_why_and_keeps_the_values(
    client, login, world, db_session, data, message
):
    services.create_release(
        db_session, world.academy, name="Taken", actor=world.manager, now=utcnow()
    )
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/releases/new", data={**data, "goal": "Kept goal"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Kept goal" in page


def test_the_release_page_lists_its_bricks_with_totals(client, login, world, db_session):
    release = services.create_release(
        db_session, world.academy, name="R1", actor=world.manager, now=utcnow()
    )
    make_brick(
        db_session,
        world,
        title="Podcast IA",
        release_id=release.id,
        estimate_points=3,
        learner_minutes=20,
    )
    make_brick(
        db_session,
        world,
        title="MOOC Data",
        release_id=release.id,
        estimate_points=8,
        learner_minutes=100,
    )
    make_brick(db_session, world, title="Not in it", estimate_points=13)
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    index = client.get(f"/a/{world.academy.slug}/releases/").get_data(as_text=True)

    assert "Podcast IA" in page and "MOOC Data" in page
    assert "Not in it" not in page
    assert "Total: 2 bricks" in page
    assert ">11<" in page  # points
    assert "2 h" in page  # 120 learner minutes
    assert f"/releases/{release.id}/edit" not in page  # a designer does not manage
    assert "New release" not in index


def test_another_academys_release_is_not_found(client, login, world, db_session):
    theirs = services.create_release(
        db_session, world.other_academy, name="X", actor=None, now=utcnow()
    )
    login(world.manager)

    assert client.get(f"/a/{world.academy.slug}/releases/{theirs.id}/").status_code == 404
    assert client.get(f"/a/{world.academy.slug}/releases/{theirs.id}/edit").status_code == 404


@pytest.mark.parametrize("page", ["show", "index"])
def test_release_pages_run_the_same_queries_for_few_or_many_bricks(
    client, login, world, db_session, queries, page
):
    release = services.create_release(
        db_session, world.academy, name="R1", actor=world.manager, now=utcnow()
    )
    owners = [world.manager, world.designer]

    def add(n):
        for i in range(n):
            make_brick(
                db_session,
                world,
                release_id=release.id,
                owner_id=owners[i % 2].id,
                estimate_points=i,
            )
            services.create_release(
                db_session, world.academy, name=f"Other {i} {n}", actor=None, now=utcnow()
            )

    add(2)
    login(world.manager)
    url = f"/a/{world.academy.slug}/releases/" + (f"{release.id}/" if page == "show" else "")
    client.get(url)
    # Both as a first view (the learning figures not kept yet, tracker/learning/outcomes.py).
    forget_outcomes()
    with queries() as few:
        client.get(url)
    add(20)
    forget_outcomes()
    with queries() as many:
        response = client.get(url)

    assert response.status_code == 200
    assert many.count == few.count


def test_a_name_taken_at_the_same_moment_is_a_domain_error_not_a_crash(
    db_session, world, monkeypatch
):
    services.create_release(db_session, world.academy, name="R1", actor=None, now=utcnow())
    other = services.create_release(db_session, world.academy, name="R2", actor=None, now=utcnow())
    monkeypatch.setattr(services, "is_release_name_taken", lambda *args, **kwargs: False)

    with pytest.raises(DomainError):
        services.create_release(db_session, world.academy, name="R1", actor=None, now=utcnow())
    with pytest.raises(DomainError):
        services.update_release(db_session, other, name="R1", goal="", target_date=None,
                                actor=None, now=utcnow())  # fmt: skip

    names = [r.name for r in services.list_releases(db_session, world.academy)]
    assert names == ["R1", "R2"]
