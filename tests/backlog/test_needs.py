"""Training needs: the score, triage with history, links to bricks, coverage, who sees what."""

from __future__ import annotations

import math
import re

import pytest

from tests.factories import make_brick, make_member, make_need
from tracker.academies.models import Role
from tracker.backlog import needs_services as services
from tracker.backlog.models import NeedStatus, TrainingNeed
from tracker.backlog.needs_models import NeedEvent, NeedEventKind
from tracker.db import utcnow
from tracker.errors import DomainError


def events_of(session, need):
    return session.query(NeedEvent).filter_by(need_id=need.id).order_by(NeedEvent.id).all()


# -- The score ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criticality", "urgency", "headcount", "expected"),
    [
        (1, 1, 0, 1.0),  # 1 * 1 * log10(10)
        (3, 3, None, 9.0),  # unknown headcount counts as nobody: 3 * 3 * 1
        (5, 4, 90, 40.0),  # 5 * 4 * log10(100) = 20 * 2
        (2, 5, 990, 30.0),  # 2 * 5 * log10(1000) = 10 * 3
        (5, 5, 9990, 100.0),  # 25 * log10(10000) = 25 * 4
        (4, 2, 40, 13.5918),  # 8 * log10(50) = 8 * 1.69897
    ],
)
def test_priority_score_matches_hand_computed_values(criticality, urgency, headcount, expected):
    assert services.priority_score(criticality, urgency, headcount) == pytest.approx(
        expected, abs=1e-4
    )


def test_the_score_is_stated_on_the_needs_page(client, login, world):
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/needs/").get_data(as_text=True)

    assert "criticality \u00d7 urgency \u00d7 log10(headcount + 10)" in page


def test_needs_are_listed_by_score_and_filtered(db_session, world):
    low = make_need(db_session, world, title="Low", criticality=1, urgency=2, headcount=5)
    high = make_need(
        db_session,
        world,
        title="High",
        criticality=5,
        urgency=5,
        headcount=200,
        business_unit="Banque de détail",
    )
    mid = make_need(db_session, world, title="Mid", criticality=3, urgency=3, headcount=1000)
    services.change_need_status(db_session, mid, "accepted", actor=world.manager, now=utcnow())

    everything = services.list_needs(db_session, world.academy)
    accepted = services.list_needs(db_session, world.academy, statuses=["accepted"])
    bank = services.list_needs(db_session, world.academy, business_unit="banque de DÉTAIL".lower())

    assert [s.need.title for s in everything] == ["High", "Mid", "Low"]
    assert everything[1].score == pytest.approx(9 * math.log10(1010))
    assert [s.need for s in accepted] == [mid]
    assert [s.need for s in bank] == [high]
    assert low not in [s.need for s in bank]


# -- Submitting and triage ----------------------------------------------------------------------


def test_a_submission_is_recorded_with_its_submitter(db_session, world):
    need = make_need(db_session, world, actor=world.stakeholder, requester_name="")

    assert need.status == NeedStatus.NEW
    assert need.submitted_by_id == world.stakeholder.id
    assert need.requester_name == world.stakeholder.display_name
    [event] = events_of(db_session, need)
    assert (event.kind, event.to_status, event.actor_id) == (
        NeedEventKind.SUBMITTED,
        NeedStatus.NEW,
        world.stakeholder.id,
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"business_unit": ""}, "business_unit"),
        ({"criticality": 6}, "criticality"),
        ({"urgency": 0}, "urgency"),
        ({"headcount": -1}, "headcount"),
    ],
)
def test_a_bad_need_is_refused_on_its_field(db_session, world, values, field):
    with pytest.raises(DomainError) as refused:
        make_need(db_session, world, **values)

    assert refused.value.field == field


def test_declining_needs_a_reason_and_every_change_is_in_the_history(db_session, world):
    need = make_need(db_session, world)

    with pytest.raises(DomainError) as refused:
        services.change_need_status(
            db_session, need, NeedStatus.DECLINED, actor=world.manager, now=utcnow()
        )
    assert refused.value.field == "reason"
    assert need.status == NeedStatus.NEW

    services.change_need_status(db_session, need, "accepted", actor=world.manager, now=utcnow())
    services.change_need_status(
        db_session,
        need,
        "declined",
        actor=world.manager,
        reason="Covered by the group MOOC",
        now=utcnow(),
    )
    assert need.decline_reason == "Covered by the group MOOC"
    services.change_need_status(db_session, need, "planned", actor=world.manager, now=utcnow())

    assert need.decline_reason == ""
    history = [
        (e.kind, e.from_status, e.to_status, e.note, e.actor_id)
        for e in events_of(db_session, need)
    ]
    m = world.manager.id
    assert history == [
        (NeedEventKind.SUBMITTED, None, NeedStatus.NEW, "", m),
        (NeedEventKind.STATUS_CHANGED, NeedStatus.NEW, NeedStatus.ACCEPTED, "", m),
        (NeedEventKind.STATUS_CHANGED, NeedStatus.ACCEPTED, NeedStatus.DECLINED,
         "Covered by the group MOOC", m),
        (NeedEventKind.STATUS_CHANGED, NeedStatus.DECLINED, NeedStatus.PLANNED, "", m),
    ]  # fmt: skip


def test_saving_the_same_status_records_nothing(db_session, world):
    need = make_need(db_session, world)

    changed = services.change_need_status(
        db_session, need, "new", actor=world.manager, now=utcnow()
    )

    assert changed is False
    assert len(events_of(db_session, need)) == 1


def test_an_edit_changes_fields_and_is_recorded(db_session, world):
    need = make_need(db_session, world, headcount=10)

    assert (
        services.update_need(db_session, need, actor=world.manager, headcount=250, now=utcnow())
        is True
    )
    assert (
        services.update_need(db_session, need, actor=world.manager, headcount=250, now=utcnow())
        is False
    )
    assert need.headcount == 250
    assert [e.kind for e in events_of(db_session, need)][-1] == NeedEventKind.EDITED


# -- Bricks -------------------------------------------------------------------------------------


def test_linking_and_unlinking_bricks_is_traced(db_session, world):
    need = make_need(db_session, world)
    brick = make_brick(
        db_session,
        world.academy,
        "Phishing : les bons réflexes",
        actor=world.manager,
        format="mooc",
    )
    theirs = make_brick(db_session, world.other_academy, actor=world.outsider, format="mooc")

    assert services.link_brick(db_session, need, brick, actor=world.manager, now=utcnow()) is True
    assert services.link_brick(db_session, need, brick, actor=world.manager, now=utcnow()) is False
    with pytest.raises(DomainError):
        services.link_brick(db_session, need, theirs, actor=world.manager, now=utcnow())
    assert need.bricks == [brick]
    assert services.unlink_brick(db_session, need, brick, actor=world.manager, now=utcnow()) is True

    assert need.bricks == []
    notes = [(e.kind, e.note) for e in events_of(db_session, need)[1:]]
    key = f"{world.academy.key_prefix}-{brick.number}"
    assert notes == [
        (NeedEventKind.BRICK_LINKED, f"{key} Phishing : les bons réflexes"),
        (NeedEventKind.BRICK_UNLINKED, f"{key} Phishing : les bons réflexes"),
    ]


def test_bricks_are_found_by_key_number_or_title(db_session, world):
    first = make_brick(
        db_session, world.academy, "Cybersécurité 100%", actor=world.manager, format="mooc"
    )
    second = make_brick(
        db_session, world.academy, "Data visualisation", actor=world.manager, format="mooc"
    )
    make_brick(
        db_session, world.other_academy, "Data elsewhere", actor=world.outsider, format="mooc"
    )
    prefix = world.academy.key_prefix

    assert services.find_bricks(db_session, world.academy, f"{prefix}-{second.number}") == [second]
    assert services.find_bricks(db_session, world.academy, str(first.number)) == [first]
    assert services.find_bricks(db_session, world.academy, "data") == [second]
    assert services.find_bricks(db_session, world.academy, "100%") == [first]
    assert services.find_bricks(db_session, world.academy, "%") == [first]  # % is literal
    assert services.find_bricks(db_session, world.academy, "  ") == []


# -- Coverage -----------------------------------------------------------------------------------


def test_coverage_groups_needs_per_business_unit(db_session, world):
    brick = make_brick(db_session, world.academy, actor=world.manager, format="mooc")
    delivered = make_need(db_session, world, title="Delivered", business_unit="DSI")
    services.change_need_status(
        db_session, delivered, "delivered", actor=world.manager, now=utcnow()
    )
    covered = make_need(db_session, world, title="Covered", business_unit="dsi")
    services.link_brick(db_session, covered, brick, actor=world.manager, now=utcnow())
    uncovered = make_need(db_session, world, title="Uncovered", business_unit="DSI ")
    declined = make_need(db_session, world, title="Declined", business_unit="DSI")
    services.change_need_status(
        db_session, declined, "declined", actor=world.manager, reason="No", now=utcnow()
    )
    make_need(db_session, world, title="HR", business_unit="DRH")

    units = services.coverage(db_session, world.academy)

    assert [u.business_unit for u in units] == ["DRH", "DSI"]
    dsi = units[1]
    assert (dsi.delivered, dsi.covered, dsi.uncovered, dsi.declined) == (
        [delivered],
        [covered],
        [uncovered],
        [declined],
    )
    assert (dsi.total, dsi.open_total) == (4, 3)
    assert dsi.share("covered") == pytest.approx(100 / 3)
    assert units[0].share("uncovered") == 100


# -- Pages --------------------------------------------------------------------------------------


def test_a_stakeholder_submits_a_need_and_follows_it(client, login, world, db_session):
    login(world.stakeholder)
    base = f"/a/{world.academy.slug}/needs"

    response = client.post(
        f"{base}/new",
        data={"title": "Sensibiliser au phishing", "business_unit": "Banque de détail",
              "headcount": "1200", "criticality": "4", "urgency": "5"},
    )  # fmt: skip

    assert response.status_code == 303
    need = db_session.query(TrainingNeed).filter_by(title="Sensibiliser au phishing").one()
    services.change_need_status(
        db_session,
        need,
        "declined",
        actor=world.manager,
        reason="Already in the group MOOC",
        now=utcnow(),
    )
    mine = client.get(f"{base}/mine").get_data(as_text=True)
    page = client.get(f"{base}/{need.id}/").get_data(as_text=True)
    assert "Sensibiliser au phishing" in mine
    assert "Already in the group MOOC" in mine
    assert "Already in the group MOOC" in page
    assert "Triage" not in page


def test_a_stakeholder_sees_only_their_own_needs(client, login, world, db_session):
    theirs = make_need(db_session, world, actor=world.stakeholder, title="Mine")
    someone = make_member(db_session, world.academy, Role.STAKEHOLDER)
    other = make_need(db_session, world, actor=someone, title="Someone else's need")
    login(world.stakeholder)
    base = f"/a/{world.academy.slug}/needs"

    mine = client.get(f"{base}/mine").get_data(as_text=True)

    assert client.get(f"{base}/{theirs.id}/").status_code == 200
    assert client.get(f"{base}/{other.id}/").status_code == 403
    assert client.get(f"{base}/").status_code == 403
    assert "Someone else" not in mine


def test_stakeholders_read_coverage_as_aggregates(client, login, world, db_session):
    make_need(
        db_session,
        world,
        title="Excel avancé",
        business_unit="Conformité",
        requester_name="Jeanne Secret",
        description="Private detail",
    )
    login(world.stakeholder)

    page = client.get(f"/a/{world.academy.slug}/needs/coverage").get_data(as_text=True)

    assert "Conformité" in page
    assert "Excel avancé" in page
    assert "Jeanne Secret" not in page
    assert "Private detail" not in page
    assert not re.search(r"/needs/\d+", page)  # no way into a need's page


def test_a_manager_declining_without_a_reason_gets_the_error_on_the_field(
    client, login, world, db_session
):
    need = make_need(db_session, world)
    login(world.manager)
    url = f"/a/{world.academy.slug}/needs/{need.id}/status"

    refused = client.post(url, data={"status": "declined", "reason": " "})
    bad = client.post(url, data={"status": "lost"})
    accepted = client.post(url, data={"status": "declined", "reason": "Out of scope"})

    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    assert bad.status_code == 422
    assert accepted.status_code == 303
    db_session.refresh(need)
    assert (need.status, need.decline_reason) == (NeedStatus.DECLINED, "Out of scope")


@pytest.mark.parametrize(
    "data",
    [
        {"title": "X", "business_unit": "DRH", "criticality": "9", "urgency": "3"},
        {"title": "X", "business_unit": "DRH", "criticality": "abc", "urgency": "3"},
        {"title": "X", "business_unit": "DRH", "headcount": "many", "criticality": "3",
         "urgency": "3"},
        {"title": "", "business_unit": "", "criticality": "3", "urgency": "3"},
    ],
)  # fmt: skip
def test_bad_submissions_are_refused_with_the_typed_values_kept(client, login, world, data):
    login(world.stakeholder)

    response = client.post(f"/a/{world.academy.slug}/needs/new", data=data)

    assert response.status_code == 422
    assert "has-error" in response.get_data(as_text=True)


def test_a_manager_finds_and_links_a_brick_from_the_need_page(client, login, world, db_session):
    need = make_need(db_session, world)
    brick = make_brick(
        db_session, world.academy, "Serious game conformité", actor=world.manager, format="mooc"
    )
    login(world.manager)
    page_url = f"/a/{world.academy.slug}/needs/{need.id}/"

    found = client.get(f"{page_url}?q=conformit").get_data(as_text=True)
    linked = client.post(f"{page_url}bricks", data={"brick_id": str(brick.id)})
    missing = client.post(f"{page_url}bricks", data={"brick_id": "999999"})
    unlinked = client.post(f"{page_url}bricks/{brick.id}/unlink")

    assert "Serious game conformité" in found
    assert linked.status_code == 303
    assert missing.status_code == 404
    assert unlinked.status_code == 303
    db_session.refresh(need)
    assert need.bricks == []
    assert [e.kind for e in events_of(db_session, need)][-2:] == [
        NeedEventKind.BRICK_LINKED,
        NeedEventKind.BRICK_UNLINKED,
    ]


def test_a_designer_reads_a_need_without_triage(client, login, world, db_session):
    need = make_need(db_session, world)
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/needs/{need.id}/").get_data(as_text=True)

    assert need.title in page
    assert "Triage" not in page
    assert "/status" not in page


def test_another_academys_need_is_not_found(client, login, world, db_session):
    theirs = services.submit_need(
        db_session,
        world.other_academy,
        actor=world.outsider,
        title="X",
        business_unit="DSI",
        now=utcnow(),
    )
    login(world.manager)

    assert client.get(f"/a/{world.academy.slug}/needs/{theirs.id}/").status_code == 404


@pytest.mark.parametrize("page", ["needs/", "needs/coverage", "needs/mine"])
def test_need_lists_run_the_same_queries_for_few_or_many_needs(
    client, login, world, db_session, queries, page
):
    brick = make_brick(db_session, world.academy, actor=world.manager, format="mooc")

    def add(n):
        for i in range(n):
            need = make_need(
                db_session, world, title=f"Need {i}", business_unit=f"BU {i % 4}", headcount=i * 10
            )
            if i % 2:
                services.link_brick(db_session, need, brick, actor=world.manager, now=utcnow())

    add(2)
    login(world.manager)
    url = f"/a/{world.academy.slug}/{page}"
    client.get(url)
    with queries() as few:
        client.get(url)
    add(20)
    with queries() as many:
        response = client.get(url)

    assert response.status_code == 200
    assert many.count == few.count


def test_builders_reach_each_need_from_the_coverage(client, login, world, db_session):
    need = make_need(db_session, world, title="Excel avancé", business_unit="Conformité")
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/needs/coverage").get_data(as_text=True)

    assert f"/needs/{need.id}/" in page
