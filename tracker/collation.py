"""Names and titles sorted and matched as readers expect, accents and case aside: "Jérôme"
before "Justine", "securite" finds "sécurité". In Python (`sort_key`) and in SQL (`folded`),
the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

# Letters that a plain Latin letter replaces, for SQL's translate(): Latin-1 and Latin
# Extended-A, both cases, whose accent-free lower case is one ASCII letter.
_SINGLE_LETTER_FOLDS = {
    char: plain
    for char in map(chr, range(0xC0, 0x180))
    if len(plain := "".join(c for c in unicodedata.normalize("NFKD", char.lower()) if c.isascii()))
    == 1
    and plain.isalpha()
}
ACCENTED = "".join(_SINGLE_LETTER_FOLDS)
PLAIN = "".join(_SINGLE_LETTER_FOLDS.values())
SQLITE_FUNCTION = "brique_fold"


def fold(text: str | None) -> str:
    """Lower case without accents: "Jérôme" → "jerome", "Œuvre" → "oeuvre"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe")


def sort_key(text: str | None) -> tuple[str, str]:
    """For sorted(): accents and case aside first, then as written (a stable, total order)."""
    return fold(text), text or ""


class folded(GenericFunction[str]):
    """SQL: the text lower-cased without accents, comparable with `fold()`'s result, for
    ORDER BY and LIKE on both engines."""

    type = String()
    inherit_cache = True


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    # lower() after translate(): under a C locale PostgreSQL lowers ASCII letters only.
    argument = compiler.process(element.clauses, **kw)
    return f"lower(translate({argument}, '{ACCENTED}', '{PLAIN}'))"


@compiles(folded)
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


def register_sqlite_function(dbapi_connection: Any) -> None:
    """SQLite has no translate(): it calls `fold` (each new connection)."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
