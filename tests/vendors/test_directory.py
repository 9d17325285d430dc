"""The vendor directory, bricks assigned to a vendor, and a vendor's member limited to them."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import (
    BASE_URL,
    change_brick,
    make_brick,
    make_path,
    make_release,
    make_sprint,
)
from tracker.academies.models import AcademyInvitation, Membership, Role
from tracker.academies.services import accept_invitation, change_role, get_membership
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError
from tracker.vendors import services
from tracker.vendors.models import Vendor


def test_a_vendor_is_created_with_its_fields(db_session, world):
    vendor = services.create_vendor(
        db_session, world.academy, now=utcnow(), name="  Ludik   Studio ", company="Ludik SAS",
        specialties=["serious_game", "video", "video"], languages=["fr", "en"],
        tags=services.split_tags("3D; mobile, gamification, 3d"), contract_reference="C-2026-04",
        contract_start=dt.date(2026, 1, 1), contract_end=dt.date(2026, 12, 31), notes="**ok**",
    )  # fmt: skip
    assert vendor.name == "Ludik Studio"
    assert vendor.specialties == ["serious_game", "video"]
    assert vendor.tags == ["3D", "mobile", "gamification"]
    with pytest.raises(DomainError) as refused:
        services.create_vendor(db_session, world.academy, now=utcnow(), name="ludik studio")
    assert refused.value.field == "name"


def test_a_contract_cannot_end_before_it_starts(db_session, world):
    with pytest.raises(DomainError) as refused:
        services.create_vendor(
            db_session, world.academy, now=utcnow(), name="Late",
            contract_start=dt.date(2026, 5, 1), contract_end=dt.date(2026, 4, 1),
        )  # fmt: skip
    assert refused.value.field == "contract_end"


def test_a_vendor_named_by_a_brick_is_archived_never_deleted(db_session, world):
    brick = make_brick(db_session, world, "Game")
    services.assign_bricks(db_session, world.studio, world.academy, [brick.number])
    with pytest.raises(Conflict):
        services.delete_vendor(db_session, world.studio)
    services.set_archived(db_session, world.studio, True, now=utcnow())
    assert world.studio not in services.list_vendors(db_session, world.academy)
    assert world.studio in services.list_vendors(db_session, world.academy, archived=True)
    # Nothing names this one: it goes.
    lone = services.create_vendor(db_session, world.academy, now=utcnow(), name="Lone")
    services.delete_vendor(db_session, lone)
    assert db_session.get(Vendor, lone.id) is None


def test_an_invited_contact_becomes_a_member_limited_to_the_vendor(db_session, world):
    contact = services.add_contact(
        db_session, world.studio, name="Carla Contact", email="Carla@Studio.example"
    )
    with force_locale("en"):
        invitation = services.invite_contact(
            db_session, world.academy, contact, actor=world.manager, base_url=BASE_URL,
            now=utcnow(),
        )  # fmt: skip
    assert invitation.role == Role.VENDOR and invitation.vendor_id == world.studio.id
    user = accept_invitation(
        db_session, invitation, display_name="Carla", password="a long enough password",
        now=utcnow(),
    )  # fmt: skip
    membership = db_session.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    assert (membership.role, membership.vendor_id) == (Role.VENDOR, world.studio.id)
    assert services.member_emails(db_session, world.studio) == {
        "carla@studio.example",
        world.vendor.email,
    }
    assert db_session.scalars(select(AcademyInvitation.vendor_id)).all() == [world.studio.id]


def test_the_vendor_role_is_never_given_from_the_members_list(db_session, world):
    membership = db_session.scalars(
        select(Membership).where(Membership.user_id == world.designer.id)
    ).one()
    with pytest.raises(DomainError):
        change_role(
            db_session, get_membership(db_session, world.academy, membership.id), Role.VENDOR
        )
    # The vendor's member made a designer loses their vendor.
    mine = db_session.scalars(select(Membership).where(Membership.user_id == world.vendor.id)).one()
    change_role(db_session, mine, Role.DESIGNER)
    assert mine.vendor_id is None


def _two_bricks_of_the_studio(db_session, world):
    ours = [make_brick(db_session, world, title) for title in ("Ours one", "Ours two")]
    make_brick(db_session, world, "Someone else's")
    assert (
        services.assign_bricks(db_session, world.studio, world.academy, [b.number for b in ours])
        == 2
    )
    db_session.commit()
    return ours


def test_a_vendors_member_sees_only_their_bricks_in_the_backlog(db_session, world, client, login):
    _two_bricks_of_the_studio(db_session, world)
    login(world.vendor)
    page = client.get(f"/a/{world.academy.slug}/backlog").get_data(as_text=True)
    assert "Ours one" in page and "Ours two" in page
    assert "Someone else" not in page
    # Searching does not find it either.
    page = client.get(f"/a/{world.academy.slug}/backlog?q=else").get_data(as_text=True)
    assert "Someone else" not in page
    # The manager sees all three.
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/backlog").get_data(as_text=True)
    assert "Someone else" in page


def test_a_vendors_member_is_refused_everything_else(db_session, world, client, login):
    ours = _two_bricks_of_the_studio(db_session, world)
    login(world.vendor)
    slug = world.academy.slug
    home = client.get(f"/a/{slug}/")
    assert home.status_code == 303 and home.location.endswith(f"/a/{slug}/vendor")
    portal = client.get(f"/a/{slug}/vendor").get_data(as_text=True)
    assert "Ours one" in portal and "Someone else" not in portal
    assert client.get(f"/a/{slug}/bricks/{ours[0].number}").status_code == 200
    assert client.get(f"/a/{slug}/bricks/{ours[0].number + 2}").status_code == 403
    for page in ("board", "sprints/", "releases/", "paths/", "rounds/", "needs/", "vendors/"):
        assert client.get(f"/a/{slug}/{page}").status_code == 403, page
    # Bulk changes are not theirs, even on their own bricks.
    answer = client.post(f"/a/{slug}/backlog/assign", data={"bricks": [str(ours[0].number)]})
    assert answer.status_code == 403


def test_the_manager_assigns_and_takes_back_bricks(db_session, world, client, login):
    brick = make_brick(db_session, world, "Video one")
    db_session.commit()
    login(world.manager)
    slug = world.academy.slug
    response = client.post(
        f"/a/{slug}/vendors/{world.studio.id}/bricks", data={"bricks": [str(brick.number)]}
    )
    assert response.status_code == 303
    db_session.expire_all()
    assert brick.vendor_id == world.studio.id
    page = client.get(f"/a/{slug}/vendors/{world.studio.id}/").get_data(as_text=True)
    assert "Video one" in page
    client.post(
        f"/a/{slug}/vendors/{world.studio.id}/bricks/remove", data={"bricks": [str(brick.number)]}
    )
    db_session.expire_all()
    assert brick.vendor_id is None


def test_the_manager_creates_a_vendor_and_a_contact_over_http(db_session, world, client, login):
    login(world.manager)
    slug = world.academy.slug
    response = client.post(
        f"/a/{slug}/vendors/new",
        data={"name": "Ludik", "specialties": ["video"], "languages": ["fr"], "tags": "3D"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    vendor = db_session.scalars(select(Vendor).where(Vendor.name == "Ludik")).one()
    bad = client.post(f"/a/{slug}/vendors/{vendor.id}/contacts", data={"name": "X", "email": "no"})
    assert bad.status_code == 422 and "no" in bad.get_data(as_text=True)
    client.post(
        f"/a/{slug}/vendors/{vendor.id}/contacts", data={"name": "Lou", "email": "lou@l.io"}
    )
    contact = vendor.contacts[0]
    invited = client.post(f"/a/{slug}/vendors/{vendor.id}/contacts/{contact.id}/invite")
    assert invited.status_code == 303
    assert (
        db_session.scalars(select(AcademyInvitation).where(AcademyInvitation.email == "lou@l.io"))
        .one()
        .vendor_id
        == vendor.id
    )


def test_a_vendors_contact_may_own_a_brick_of_their_vendor(db_session, world):
    from tracker.backlog.services import update_brick

    brick = make_brick(db_session, world, "Owned")
    services.assign_bricks(db_session, world.studio, world.academy, [brick.number])
    db_session.expire_all()
    update_brick(
        db_session, brick, actor=world.manager, expected_version=brick.version, now=utcnow(),
        owner_id=world.vendor.id,
    )  # fmt: skip
    assert brick.owner_id == world.vendor.id


def test_a_vendors_member_is_offered_only_what_their_bricks_name(db_session, world, client, login):
    """The backlog's filters list the paths, sprints, releases, owners and languages on the
    vendor's bricks only: nothing of the academy's other bricks, nor the names of its members."""
    ours_path, other_path = (
        make_path(db_session, world, "Ours path"),
        make_path(db_session, world, "Hidden path"),
    )
    ours_sprint, other_sprint = (
        make_sprint(db_session, world, "Ours sprint"),
        make_sprint(db_session, world, "Hidden sprint"),
    )
    ours_release, other_release = (
        make_release(db_session, world.academy),
        make_release(db_session, world.academy),
    )
    ours_release.name, other_release.name = "Ours release", "Hidden release"
    ours = make_brick(
        db_session, world, "Ours", learning_path_id=ours_path.id, sprint_id=ours_sprint.id,
        release_id=ours_release.id, language="de",
    )  # fmt: skip
    make_brick(
        db_session, world, "Theirs", learning_path_id=other_path.id, sprint_id=other_sprint.id,
        release_id=other_release.id, language="it", owner_id=world.designer.id,
    )  # fmt: skip
    services.assign_bricks(db_session, world.studio, world.academy, [ours.number])
    db_session.expire_all()
    change_brick(db_session, ours, world.manager, owner_id=world.vendor.id)
    db_session.commit()
    slug = world.academy.slug

    login(world.vendor)
    page = client.get(f"/a/{slug}/backlog").get_data(as_text=True)
    for shown in ("Ours path", "Ours sprint", "Ours release", "Vic Vendor", ">de<"):
        assert shown in page, shown
    for hidden in ("Hidden", "Dan Designer", "Maya Manager", "Sam Stakeholder", ">it<"):
        assert hidden not in page, hidden
    # A stale link naming another brick's path filters nothing and shows nothing of it.
    page = client.get(f"/a/{slug}/backlog?path={other_path.id}").get_data(as_text=True)
    assert "Hidden" not in page and "Ours" in page

    # The manager is offered everything.
    login(world.manager)
    page = client.get(f"/a/{slug}/backlog").get_data(as_text=True)
    for shown in ("Hidden path", "Hidden sprint", "Hidden release", "Dan Designer", ">it<"):
        assert shown in page, shown


def test_the_vendors_contact_sends_a_quote_for_one_brick(db_session, world, client, login):
    from decimal import Decimal

    from tracker.vendors.models import Quote, QuoteStatus
    from tracker.vendors.quotes import actual_by_brick

    ours, _other = _two_bricks_of_the_studio(db_session, world)
    slug = world.academy.slug
    login(world.vendor)
    portal = client.get(f"/a/{slug}/vendor").get_data(as_text=True)
    assert f"/a/{slug}/vendor/bricks/{ours.number}/quote" in portal
    url = f"/a/{slug}/vendor/bricks/{ours.number}/quote"
    bad = client.post(url, data={"amount": "-3", "currency": "EUR", "days": "4"})
    assert bad.status_code == 422 and 'value="4"' in bad.get_data(as_text=True)
    sent = client.post(url, data={"amount": "1200.50", "currency": "EUR", "days": "4"})
    assert sent.status_code == 303
    quote = db_session.scalars(select(Quote)).one()
    assert (quote.brick_id, quote.specification_id, quote.vendor_id) == (
        ours.id, None, world.studio.id,
    )  # fmt: skip
    assert (quote.amount, quote.status) == (Decimal("1200.50"), QuoteStatus.PENDING)
    # Another brick of the academy is not theirs to quote: as if it did not exist.
    stranger = ours.number + 2
    assert client.get(f"/a/{slug}/vendor/bricks/{stranger}/quote").status_code == 404
    # The manager sees what it is for and accepts it: the brick's actual cost.
    login(world.manager)
    listed = client.get(f"/a/{slug}/quotes/").get_data(as_text=True)
    assert f"{world.academy.key_prefix}-{ours.number} Ours one" in listed
    client.post(f"/a/{slug}/quotes/{quote.id}/decide", data={"decision": "accept"})
    assert actual_by_brick(db_session, world.academy)[ours.id] == {"EUR": Decimal("1200.50")}
