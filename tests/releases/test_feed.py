"""The personal Atom feed of release notes: a link that works without a session, stored hashed,
regenerated and revoked; valid Atom (feedparser, and the required elements of RFC 4287); what
each reader may read, and nothing for someone who left."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import feedparser
import pytest

from tests.factories import SECRET, make_testers, run_round
from tracker.academies.models import Membership
from tracker.academies.services import remove_member
from tracker.db import utcnow
from tracker.releases import feed, notes, services
from tracker.releases.models import FeedToken, ReleaseState

ATOM = "{http://www.w3.org/2005/Atom}"


def published(db_session, world, name, body="# Notes\n\nDu **contenu**."):
    release = services.create_release(
        db_session, world.academy, name=name, actor=world.manager, now=utcnow()
    )
    release.state = ReleaseState.APPROVED
    notes.publish_notes(
        db_session, release, body=body, actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip
    return release


def token_for(db_session, world, user):
    return feed.issue_feed_token(db_session, world.academy, user, secret_key=SECRET, now=utcnow())


def assert_valid_atom(body: bytes) -> ET.Element:
    """A real parser accepts it as Atom 1.0, and the elements RFC 4287 requires are there."""
    parsed = feedparser.parse(body)
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(body)  # noqa: S314 - our own feed, read by a test
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{tag}") or "").strip(), tag
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), tag
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    return root


def test_the_link_works_without_a_session_and_is_valid_atom(client, db_session, world):
    release = published(db_session, world, "Incrément 1")
    token = token_for(db_session, world, world.stakeholder)

    response = client.get(f"/feeds/{token}.atom")  # nobody logged in

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = assert_valid_atom(response.data)
    parsed = feedparser.parse(response.data)
    [entry] = parsed.entries
    assert entry.title == "Incrément 1"
    assert entry.link == f"http://brique.test/a/{world.academy.slug}/releases/{release.id}/notes"
    assert "<strong>contenu</strong>" in entry.content[0].value
    assert parsed.feed.title == f"{world.academy.name}: release notes"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == (
        f"http://brique.test/feeds/{token}.atom"
    )


def test_an_empty_feed_is_valid_too(client, db_session, world):
    token = token_for(db_session, world, world.stakeholder)

    response = client.get(f"/feeds/{token}.atom")

    assert response.status_code == 200
    assert assert_valid_atom(response.data).findall(f"{ATOM}entry") == []


def test_the_notes_html_is_sanitized_in_the_feed(client, db_session, world):
    published(
        db_session, world, "R1", body="Salut <script>alert(1)</script> [x](javascript:alert(2))"
    )
    token = token_for(db_session, world, world.stakeholder)

    root = ET.fromstring(client.get(f"/feeds/{token}.atom").data)  # noqa: S314 - idem
    html = root.findtext(f"{ATOM}entry/{ATOM}content")  # the HTML, once unescaped

    assert "Salut &lt;script&gt;" in html
    assert "<script" not in html and 'href="javascript' not in html


def test_only_the_hash_is_stored_and_the_link_can_be_shown_again(db_session, world):
    token = token_for(db_session, world, world.stakeholder)

    row = db_session.query(FeedToken).filter_by(user_id=world.stakeholder.id).one()
    assert token not in (row.token_hash, row.nonce)
    assert feed.token_of(SECRET, row.nonce) == token
    assert feed.find_feed_token(db_session, token).id == row.id


def test_regenerating_stops_the_old_link(client, db_session, world):
    old = token_for(db_session, world, world.stakeholder)

    new = token_for(db_session, world, world.stakeholder)

    assert new != old
    assert client.get(f"/feeds/{old}.atom").status_code == 404
    assert client.get(f"/feeds/{new}.atom").status_code == 200
    assert db_session.query(FeedToken).filter_by(user_id=world.stakeholder.id).count() == 1


def test_a_revoked_link_answers_404(client, db_session, world):
    token = token_for(db_session, world, world.stakeholder)

    assert feed.revoke_feed_token(db_session, world.academy, world.stakeholder, now=utcnow())

    assert client.get(f"/feeds/{token}.atom").status_code == 404
    assert feed.my_feed_token(db_session, world.academy, world.stakeholder) is None
    assert not feed.revoke_feed_token(db_session, world.academy, world.stakeholder, now=utcnow())


@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 500, "%00"])
def test_unknown_tokens_answer_404(client, db_session, world, token):
    assert client.get(f"/feeds/{token}.atom").status_code == 404


def test_someone_who_left_the_academy_gets_nothing(client, db_session, world):
    published(db_session, world, "R1")
    token = token_for(db_session, world, world.stakeholder)

    remove_member(
        db_session,
        db_session.query(Membership)
        .filter_by(academy_id=world.academy.id, user_id=world.stakeholder.id)
        .one(),
    )

    assert client.get(f"/feeds/{token}.atom").status_code == 404


def test_a_testers_feed_holds_the_releases_they_tested_only(client, db_session, world):
    tested = services.create_release(
        db_session, world.academy, name="Testée", actor=None, now=utcnow()
    )
    [tester] = make_testers(db_session, world.academy, 1)
    run_round(
        db_session, world.academy, tested, world.manager, [tester], secret_key=SECRET,
        rating=5, nps=10,
    )  # fmt: skip
    services.record_decision(db_session, tested, outcome="go", actor=world.manager, now=utcnow())
    notes.publish_notes(
        db_session, tested, body="# Testée", actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip
    published(db_session, world, "Pas testée")
    token = feed.issue_feed_token(
        db_session, world.academy, tester, secret_key=SECRET, now=utcnow()
    )

    parsed = feedparser.parse(client.get(f"/feeds/{token}.atom").data)

    assert [e.title for e in parsed.entries] == ["Testée"]


def test_a_feed_reader_polling_again_gets_304(client, db_session, world):
    published(db_session, world, "R1")
    token = token_for(db_session, world, world.stakeholder)
    first = client.get(f"/feeds/{token}.atom")

    again = client.get(f"/feeds/{token}.atom", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
