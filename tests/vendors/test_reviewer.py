"""A brick's reviewer: a manager or designer, or a contact of the vendor the brick is assigned
to (never of another vendor); edited in the brick's form, shown on its page and in its history,
notified, cleared when the person is erased or the brick leaves their vendor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.backlog.test_bricks import brick_url, form_fields
from tests.factories import change_brick, make_brick, make_user
from tracker.academies.models import Role, Stage, StageCategory
from tracker.academies.services import add_member
from tracker.auth.services import erase_user
from tracker.backlog.models import Activity, Brick
from tracker.board import services as board_services
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.vendors import services as vendors
from tracker.workspace.models import Notification, NotificationKind


def _studio_brick(db_session, world, title="Game"):
    brick = make_brick(db_session, world, title)
    vendors.assign_bricks(db_session, world.studio, world.academy, [brick.number])
    db_session.expire_all()
    return brick


def _other_vendors_contact(db_session, world):
    ludik = vendors.create_vendor(db_session, world.academy, name="Ludik", now=utcnow())
    contact = make_user(db_session, name="Lou Ludik")
    add_member(db_session, world.academy, contact, Role.VENDOR, vendor_id=ludik.id)
    db_session.flush()
    return ludik, contact


def test_who_may_review_a_brick(db_session, world):
    _ludik, lou = _other_vendors_contact(db_session, world)
    loose = make_brick(db_session, world, "In-house")
    ours = _studio_brick(db_session, world)
    change_brick(db_session, loose, world.manager, reviewer_id=world.designer.id)
    assert loose.reviewer_id == world.designer.id
    # A vendor's contact reviews only a brick assigned to their vendor.
    for brick, person in ((loose, world.vendor), (ours, lou), (ours, world.tester)):
        with pytest.raises(DomainError) as refused:
            change_brick(db_session, brick, world.manager, reviewer_id=person.id)
        assert refused.value.field == "reviewer_id"
    change_brick(db_session, ours, world.manager, reviewer_id=world.vendor.id)
    assert ours.reviewer_id == world.vendor.id
    # Created with a reviewer: checked too (a new brick is nobody's vendor's yet).
    with pytest.raises(DomainError):
        make_brick(db_session, world, "New", reviewer_id=world.vendor.id)


def test_the_reviewer_is_edited_shown_and_kept_in_the_history(db_session, world, client, login):
    _ludik, _lou = _other_vendors_contact(db_session, world)
    ours = _studio_brick(db_session, world)
    loose = make_brick(db_session, world, "In-house")
    db_session.commit()
    login(world.manager)
    # The form offers the academy's team and the contacts of the brick's vendor only.
    form = client.get(brick_url(world, ours, "/edit")).get_data(as_text=True)
    reviewers = form[form.index('name="reviewer_id"') :].split("</select>")[0]
    assert "Vic Vendor" in reviewers and "Dan Designer" in reviewers and "Maya Manager" in reviewers
    assert "Lou Ludik" not in reviewers and "Tess Tester" not in reviewers
    loose_form = client.get(brick_url(world, loose, "/edit")).get_data(as_text=True)
    assert (
        "Vic Vendor"
        not in loose_form[loose_form.index('name="reviewer_id"') :].split("</select>")[0]
    )

    # Posted anyway for a brick of no vendor: refused, the field named, what was typed kept.
    data = form_fields(loose_form) | {"reviewer_id": str(world.vendor.id), "title": "Typed"}
    refused = client.post(brick_url(world, loose, "/edit"), data=data)
    assert refused.status_code == 422
    assert 'value="Typed"' in refused.get_data(as_text=True)
    assert 'id="reviewer_id-error"' in refused.get_data(as_text=True)
    db_session.expire_all()
    assert loose.reviewer_id is None and loose.title == "In-house"

    data = form_fields(form) | {"reviewer_id": str(world.vendor.id)}
    assert client.post(brick_url(world, ours, "/edit"), data=data).status_code == 303
    db_session.expire_all()
    assert ours.reviewer_id == world.vendor.id
    event = db_session.scalars(
        select(Activity).where(Activity.brick_id == ours.id).order_by(Activity.id.desc())
    ).first()
    assert event.changes == {"reviewer_id": [None, world.vendor.id]}
    page = client.get(brick_url(world, ours)).get_data(as_text=True)
    assert "<dt>Reviewer</dt><dd>Vic Vendor</dd>" in page
    history = page[page.index('id="history"') :]
    assert '"history-field">Reviewer</span>: <del>—</del> → <ins>Vic Vendor</ins>' in history

    # The vendor's contact edits their brick: the choices name no other vendor's contact.
    login(world.vendor)
    own_form = client.get(brick_url(world, ours, "/edit")).get_data(as_text=True)
    assert "Lou Ludik" not in own_form[own_form.index('name="reviewer_id"') :].split("</select>")[0]


def test_the_reviewer_hears_of_it_unless_they_set_it(db_session, world):
    brick = make_brick(db_session, world, "Quiz", owner_id=world.manager.id)
    change_brick(db_session, brick, world.manager, reviewer_id=world.designer.id)
    mine = make_brick(db_session, world, "Mine")
    change_brick(db_session, mine, world.designer, reviewer_id=world.designer.id)
    kinds = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == world.designer.id)
    ).all()
    assert kinds == [NotificationKind.REVIEWER]
    # The move into review reaches the reviewer as well as the owner (not the mover).
    stages = {
        s.category: s
        for s in db_session.scalars(select(Stage).where(Stage.academy_id == world.academy.id))
    }
    board_services.move_brick(
        db_session, brick, stages[StageCategory.REVIEW], 1, actor=world.vendor,
        expected_version=brick.version, now=utcnow(),
    )  # fmt: skip
    for person in (world.designer, world.manager):
        last = db_session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == person.id)
            .order_by(Notification.id.desc())
        ).first()
        assert last == NotificationKind.IN_REVIEW, person.display_name


def test_erasing_the_person_or_taking_the_brick_back_clears_the_reviewer(db_session, world):
    ours = _studio_brick(db_session, world)
    change_brick(db_session, ours, world.manager, reviewer_id=world.vendor.id)
    other = make_brick(db_session, world, "Other")
    change_brick(db_session, other, world.manager, reviewer_id=world.designer.id)
    version = other.version
    # The brick leaves the studio: its contact no longer reviews it.
    ludik, _lou = _other_vendors_contact(db_session, world)
    vendors.assign_bricks(db_session, ludik, world.academy, [ours.number])
    assert db_session.get(Brick, ours.id).reviewer_id is None
    # An erased person reviews nothing any more (and an edit opened before is stale).
    erase_user(db_session, world.designer, actor=world.admin, now=utcnow())
    db_session.expire_all()
    other = db_session.get(Brick, other.id)
    assert other.reviewer_id is None and other.version == version + 1


def test_a_vendors_member_is_offered_the_team_and_their_colleagues_as_owners_only(
    db_session, world, client, login
):
    _ludik, _lou = _other_vendors_contact(db_session, world)
    ours = _studio_brick(db_session, world)
    db_session.commit()

    login(world.vendor)
    form = client.get(brick_url(world, ours, "/edit")).get_data(as_text=True)
    owners = form[form.index('name="owner_id"') :].split("</select>")[0]
    assert "Vic Vendor" in owners and "Dan Designer" in owners and "Maya Manager" in owners
    assert "Lou Ludik" not in owners  # another vendor's contact: not even their name

    login(world.manager)  # the academy's team sees every contact
    form = client.get(brick_url(world, ours, "/edit")).get_data(as_text=True)
    assert "Lou Ludik" in form[form.index('name="owner_id"') :].split("</select>")[0]
