"""The Atom feed of an academy's published release notes, and the personal links to it.

A feed reader has no browser session: the link itself, /feeds/<token>.atom, is the credential.
The token is random and only its SHA-256 is stored (tracker.releases.models.FeedToken): the
notes page shows the link once, when it is made, and never again. Regenerating makes a new
token: the old link stops at once. The feed shows what its owner may read today (a tester:
the releases they tested; someone who left the academy: nothing, the link answers 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.markdown import render_markdown_for_email
from tracker.releases.models import FeedToken, ReleaseNotes
from tracker.tokens import hash_token, new_token

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# tracker.tokens.new_token: urlsafe base64 of 32 random bytes, without padding.
TOKEN_LENGTH = 43


# -- Tokens ----------------------------------------------------------------------------------------


def my_feed_token(session: Session, academy: Academy, user: User) -> FeedToken | None:
    """The person's active feed link in this academy, if any."""
    row = session.scalar(
        select(FeedToken).where(FeedToken.academy_id == academy.id, FeedToken.user_id == user.id)
    )
    return row if row is not None and row.active else None


def issue_feed_token(session: Session, academy: Academy, user: User, *, now: dt.datetime) -> str:
    """A new personal link (the previous one, if any, stops working); returns its token, which
    is not kept: show it now."""
    token = new_token()
    row = session.scalar(
        select(FeedToken).where(FeedToken.academy_id == academy.id, FeedToken.user_id == user.id)
    )
    if row is None:
        row = FeedToken(academy_id=academy.id, user_id=user.id)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # The same person's other click created it a moment ago: rotate that one.
            row = session.scalar(
                select(FeedToken).where(
                    FeedToken.academy_id == academy.id, FeedToken.user_id == user.id
                )
            )
            if row is None:
                raise
    row.token_hash = hash_token(token)
    row.created_at = now
    row.revoked_at = None
    session.flush()
    return token


def revoke_feed_token(session: Session, academy: Academy, user: User, *, now: dt.datetime) -> bool:
    """Stop the person's link; False when there was none."""
    row = my_feed_token(session, academy, user)
    if row is None:
        return False
    row.token_hash = None
    row.revoked_at = now
    session.flush()
    return True


def find_feed_token(session: Session, token: str) -> FeedToken | None:
    if len(token) != TOKEN_LENGTH:
        return None
    return session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(token)))


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{token}.atom"


# -- The Atom document --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedInfo:
    title: str
    subtitle: str
    self_url: str  # this feed
    page_url: str  # the notes list in the app
    feed_id: str  # permanent: does not change when the personal link is regenerated
    author: str
    language: str
    fallback_updated: dt.datetime  # when there is no entry yet


def _stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def build_atom(
    info: FeedInfo,
    entries: Sequence[ReleaseNotes],
    *,
    entry_url: Callable[[ReleaseNotes], str],
    entry_title: Callable[[ReleaseNotes], str],
) -> bytes:
    """RFC 4287: feed id, title, updated, author, links; per entry id, title, updated,
    published, link and the sanitized HTML of the published notes."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: info.language})
    _sub(feed, "id", info.feed_id)
    _sub(feed, "title", info.title)
    _sub(feed, "subtitle", info.subtitle)
    updated = max(
        (n.published_at for n in entries if n.published_at is not None),
        default=info.fallback_updated,
    )
    _sub(feed, "updated", _stamp(updated))
    author = _sub(feed, "author")
    _sub(author, "name", info.author)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=info.self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=info.page_url)
    _sub(feed, "generator", "Brique")
    for notes in entries:
        assert notes.published_at is not None
        url = entry_url(notes)
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", entry_title(notes))
        _sub(entry, "updated", _stamp(notes.published_at))
        _sub(entry, "published", _stamp(notes.first_published_at or notes.published_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        # type="html": the sanitized HTML, escaped as text (the reader renders it); images as
        # links, as in e-mails: a feed reader opening an entry loads nothing from elsewhere.
        _sub(entry, "content", str(render_markdown_for_email(notes.published_body)), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
