"""Searching an academy with the database's own text search, the reader's permissions applied.

What a person finds is what they may open: bricks, releases and paths for those who see them;
every need for those who see them all, else the needs they submitted; every round for those who
see the rounds, else (testers) the rounds they were invited to once opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Role
from tracker.auth.permissions import Permission, allows, brick_scope
from tracker.backlog.models import Brick, TrainingNeed
from tracker.collation import fold
from tracker.feedback.models import FeedbackRound, RoundInvitation, RoundState
from tracker.search.models import FTS_TABLE, PG_VECTOR, DocumentKind, SearchDocument

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
PER_KIND = 20
# Matches read before grouping: enough for PER_KIND of each kind in practice.
MAX_MATCHES = 200
KINDS = tuple(DocumentKind)
# The FTS5 table's name is a constant of ours; the words go in as a bound parameter.
_FTS_MATCH = (
    f"SELECT rowid AS doc_id, rank AS doc_rank FROM {FTS_TABLE}"  # noqa: S608
    f" WHERE {FTS_TABLE} MATCH :match"
)
_TERM = re.compile(r"[^\W_]+")
_KEY = re.compile(r"^(?:[^\W_]+-)?(\d{1,9})$")


def terms(query: str) -> list[str]:
    """The words searched for: lower case, no accents, letters and digits only (so nothing a
    person types can be read as the engines' query syntax)."""
    return [t[:MAX_TERM_LENGTH] for t in _TERM.findall(fold(query))][:MAX_TERMS]


@dataclass
class Hit:
    kind: DocumentKind
    id: int  # the thing's id (the brick's number for a brick)
    title: str
    content: str
    # Rounds: where the reader goes (the round's page, or the tester's answer form).
    state: str = ""


@dataclass
class Results:
    query: str
    groups: dict[DocumentKind, list[Hit]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(hits) for hits in self.groups.values())


def _visible(user: Any, academy: Academy, role: Role | None) -> ColumnElement[bool]:
    """The documents this reader may open, as a condition on search_document."""

    def may(permission: Permission) -> bool:
        return allows(user, permission, academy, role=role)

    allowed: list[ColumnElement[bool]] = []
    scope = brick_scope(user, academy)  # a vendor's member: their vendor's bricks only
    if may(Permission.BRICK_VIEW) and scope is not None:
        theirs = select(Brick.id).where(Brick.academy_id == academy.id, scope)
        allowed.append(
            and_(SearchDocument.kind == DocumentKind.BRICK, SearchDocument.brick_id.in_(theirs))
        )
    elif may(Permission.BRICK_VIEW):
        allowed.append(SearchDocument.kind == DocumentKind.BRICK)
    for kind, permission in (
        (DocumentKind.RELEASE, Permission.RELEASE_VIEW),
        (DocumentKind.PATH, Permission.PATH_VIEW),
    ):
        if may(permission):
            allowed.append(SearchDocument.kind == kind)
    if may(Permission.NEED_VIEW_ALL):
        allowed.append(SearchDocument.kind == DocumentKind.NEED)
    elif may(Permission.NEED_SUBMIT):
        mine = select(TrainingNeed.id).where(TrainingNeed.submitted_by_id == user.id)
        allowed.append(
            and_(SearchDocument.kind == DocumentKind.NEED, SearchDocument.need_id.in_(mine))
        )
    if may(Permission.ROUND_VIEW):
        allowed.append(SearchDocument.kind == DocumentKind.ROUND)
    elif may(Permission.ROUND_ANSWER):
        invited = (
            select(RoundInvitation.round_id)
            .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
            .where(RoundInvitation.user_id == user.id, FeedbackRound.state != RoundState.DRAFT)
        )
        allowed.append(
            and_(SearchDocument.kind == DocumentKind.ROUND, SearchDocument.round_id.in_(invited))
        )
    return or_(*allowed) if allowed else false()


def _matching(session: Session, statement: Any, words: list[str]) -> Any:
    """`statement` narrowed to the documents holding every word (as a prefix), best first, with
    the engine's own index."""
    if session.get_bind().dialect.name == "postgresql":
        # The stored column the migration adds (and indexes): brique_unaccent(title, content).
        document: Any = literal_column(f"{SearchDocument.__tablename__}.{PG_VECTOR}")
        query = func.to_tsquery(
            literal_column("'simple'::regconfig"),
            func.brique_unaccent(" & ".join(f"{word}:*" for word in words)),
        )
        return statement.where(document.op("@@")(query)).order_by(
            func.ts_rank(document, query).desc(), SearchDocument.id
        )
    # SQLite: FTS5, a prefix query per word ("secur"* finds "sécurité": the tokenizer removes
    # diacritics from the text and the query alike); bm25 rank, best first.
    fts = (
        text(_FTS_MATCH)
        .bindparams(match=" ".join(f'"{word}"*' for word in words))
        .columns(doc_id=Integer, doc_rank=Float)
        .subquery("fts")
    )
    return statement.join(fts, fts.c.doc_id == SearchDocument.id).order_by(
        fts.c.doc_rank, SearchDocument.id
    )


def search(
    session: Session, academy: Academy, user: Any, *, role: Role | None, query: str
) -> Results:
    results = Results(query=query)
    words = terms(query)
    if not words:
        return results
    statement = (
        select(
            SearchDocument.kind,
            SearchDocument.number,
            SearchDocument.need_id,
            SearchDocument.release_id,
            SearchDocument.round_id,
            SearchDocument.path_id,
            SearchDocument.title,
            SearchDocument.content,
            FeedbackRound.state,
        )
        .outerjoin(FeedbackRound, FeedbackRound.id == SearchDocument.round_id)
        .where(SearchDocument.academy_id == academy.id, _visible(user, academy, role))
        .limit(MAX_MATCHES)
    )
    rows: list[Any] = list(session.execute(_matching(session, statement, words)).all())
    key = _KEY.match(query.strip())
    if key:
        # A brick's key or number: that brick first (its key prefix is not in the text).
        exact = session.execute(
            statement.where(
                SearchDocument.kind == DocumentKind.BRICK,
                SearchDocument.number == int(key.group(1)),
            )
        ).all()
        rows = [*exact, *(row for row in rows if row not in exact)]
    for row in rows:
        kind = DocumentKind(row.kind)
        hits = results.groups.setdefault(kind, [])
        if len(hits) >= PER_KIND:
            continue
        ident = {
            DocumentKind.BRICK: row.number,
            DocumentKind.NEED: row.need_id,
            DocumentKind.RELEASE: row.release_id,
            DocumentKind.ROUND: row.round_id,
            DocumentKind.PATH: row.path_id,
        }[kind]
        hits.append(Hit(kind, int(ident), row.title, row.content, state=str(row.state or "")))
    results.groups = {kind: results.groups[kind] for kind in KINDS if kind in results.groups}
    return results
