"""The search documents: one row per searchable thing (brick, need, release, round, path).

Each document holds the thing's searchable text as written. The engines index it themselves
(created by the migration, not by the models):
- PostgreSQL: a stored generated column ``search_vector``,
  ``to_tsvector('simple', brique_unaccent(title || ' ' || content))``, with a GIN index,
  ``brique_unaccent`` being ``unaccent`` (the contrib extension) declared IMMUTABLE;
- SQLite: the FTS5 table ``search_fts`` (tokenizer ``unicode61 remove_diacritics 2``), an
  external-content index of this table kept in step by three triggers on it.

The documents themselves are written by `tracker.search.indexing` from the ORM's flush (every
service that creates or edits one of these things goes through the ORM), and deleted with their
thing by the foreign keys' ON DELETE CASCADE (which fires the FTS5 triggers too).
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import AcademyRow, Base, enum_column

# What the migration creates beside the table (the drift check leaves them alone).
FTS_TABLE = "search_fts"
PG_INDEX = "ix_search_document_fts"
PG_VECTOR = "search_vector"


class DocumentKind(enum.StrEnum):
    BRICK = "brick"
    NEED = "need"
    RELEASE = "release"
    ROUND = "round"
    PATH = "path"


class SearchDocument(AcademyRow, Base):
    __tablename__ = "search_document"

    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 16))
    # Exactly one of these is set (the thing the document describes); each goes with its thing.
    brick_id: Mapped[int | None] = mapped_column(
        ForeignKey("brick.id", ondelete="CASCADE"), unique=True
    )
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_need.id", ondelete="CASCADE"), unique=True
    )
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), unique=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_round.id", ondelete="CASCADE"), unique=True
    )
    path_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_path.id", ondelete="CASCADE"), unique=True
    )
    # The brick's number (ACAD-42 is found by "42" or by its key), else None.
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_search_document_academy_kind", "academy_id", "kind"),)
