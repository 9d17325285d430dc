"""Search: accents and case aside on both engines, kept in step with changes, grouped by kind,
the reader's permissions applied, and its page (query count constant in the number of hits)."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import add_invitation, make_brick, make_need, make_path, make_round
from tracker.backlog import services as brick_services
from tracker.db import utcnow
from tracker.search import services
from tracker.search.indexing import reindex_academy
from tracker.search.models import DocumentKind, SearchDocument


def find(session, world, user, query):
    role = {
        world.manager.id: "manager",
        world.designer.id: "designer",
        world.tester.id: "tester",
        world.stakeholder.id: "stakeholder",
    }.get(user.id)
    from tracker.academies.models import Role

    results = services.search(
        session, world.academy, user, role=Role(role) if role else None, query=query
    )
    return {kind.value: [hit.title for hit in hits] for kind, hits in results.groups.items()}


def test_accents_and_case_do_not_matter(db_session, world):
    make_brick(db_session, world, "Sécurité des données", summary="Les bases du RGPD")
    make_brick(db_session, world, "Prise de parole")

    assert find(db_session, world, world.manager, "securite") == {"brick": ["Sécurité des données"]}
    assert find(db_session, world, world.manager, "SÉCU donn") == {
        "brick": ["Sécurité des données"]
    }
    assert find(db_session, world, world.manager, "rgpd") == {"brick": ["Sécurité des données"]}
    assert find(db_session, world, world.manager, "sécurité parole") == {}


def test_the_key_or_the_number_finds_the_brick(db_session, world):
    brick = make_brick(db_session, world, "Onboarding")
    key = f"{world.academy.key_prefix}-{brick.number}"

    assert find(db_session, world, world.manager, key) == {"brick": ["Onboarding"]}
    assert find(db_session, world, world.manager, str(brick.number))["brick"][0] == "Onboarding"


def test_every_kind_is_found_and_grouped(db_session, world):
    make_brick(db_session, world, "Cybersécurité 101")
    make_need(db_session, world, title="Sensibiliser à la cybersécurité")
    make_path(db_session, world, "Parcours cybersécurité")
    setup = make_round(db_session, world.academy, world.manager)
    setup.round.title = "Bêta cybersécurité"
    setup.round.release.name = "Incrément cybersécurité"
    db_session.flush()

    found = find(db_session, world, world.manager, "cybersecurite")

    assert list(found) == ["brick", "need", "release", "round", "path"]
    assert found["round"] == ["Bêta cybersécurité"]
    assert found["release"] == ["Incrément cybersécurité"]


def test_documents_follow_edits_and_go_with_their_brick(db_session, world):
    brick = make_brick(db_session, world, "Ancien titre")
    brick_services.update_brick(
        db_session, brick, actor=world.manager, expected_version=brick.version,
        title="Nouveau titre", now=utcnow(),
    )  # fmt: skip
    db_session.flush()
    assert find(db_session, world, world.manager, "ancien") == {}
    assert find(db_session, world, world.manager, "nouveau") == {"brick": ["Nouveau titre"]}

    brick_services.delete_brick(db_session, brick, actor=world.manager, now=utcnow())
    db_session.flush()
    assert find(db_session, world, world.manager, "nouveau") == {}
    assert (
        db_session.scalars(
            select(SearchDocument).where(SearchDocument.title == "Nouveau titre")
        ).all()
        == []
    )


def test_a_tester_finds_only_the_rounds_they_are_invited_to(db_session, world):
    invited = make_round(db_session, world.academy, world.manager)
    invited.round.title = "Bêta accueil invité"
    other = make_round(db_session, world.academy, world.manager)
    other.round.title = "Bêta accueil autre"
    db_session.flush()
    add_invitation(db_session, invited.round, world.tester)
    make_brick(db_session, world, "Accueil des nouveaux")

    assert find(db_session, world, world.tester, "accueil") == {"round": ["Bêta accueil invité"]}
    assert set(find(db_session, world, world.designer, "accueil")) == {"brick", "round"}


def test_a_stakeholder_finds_only_their_own_needs(db_session, world):
    make_need(db_session, world, actor=world.stakeholder, title="Besoin management à moi")
    make_need(db_session, world, actor=world.manager, title="Besoin management du manager")
    make_brick(db_session, world, "Management agile")

    assert find(db_session, world, world.stakeholder, "management") == {
        "need": ["Besoin management à moi"]
    }


def test_another_academy_is_never_searched(db_session, world):
    make_brick(db_session, world.other_academy, "Sécurité ailleurs")

    assert find(db_session, world, world.manager, "securite") == {}
    assert find(db_session, world, world.outsider, "securite") == {}


def test_syntax_of_the_engines_is_taken_as_text(db_session, world):
    make_brick(db_session, world, "Données AND/OR")

    for query in ('"', "*", "AND", "a:*", "&|!()", "NEAR(x y)", 'données"*) OR 1', "'"):
        find(db_session, world, world.manager, query)  # no error
    assert find(db_session, world, world.manager, 'donn" *') == {"brick": ["Données AND/OR"]}


def test_reindex_rebuilds_an_academy(db_session, world):
    make_brick(db_session, world, "Réindexée")
    db_session.execute(SearchDocument.__table__.delete())
    assert find(db_session, world, world.manager, "reindexee") == {}

    assert reindex_academy(db_session, world.academy.id) >= 1
    assert find(db_session, world, world.manager, "reindexee") == {"brick": ["Réindexée"]}


# -- The page -----------------------------------------------------------------------------------


def test_the_page_groups_results_and_links_them(client, login, db_session, world, english_request):
    brick = make_brick(db_session, world, "Sécurité des données")
    make_path(db_session, world, "Sécurité pour tous")
    db_session.commit()
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/search?q=securite").get_data(as_text=True)

    assert "2 results" in page
    assert f'href="/a/{world.academy.slug}/bricks/{brick.number}"' in page
    assert "Learning paths" in page
    assert "js/search.js" in page


def test_the_page_runs_as_many_queries_whatever_the_hits(client, login, db_session, world):
    make_brick(db_session, world, "Quiz 0")
    db_session.commit()
    login(world.manager)
    url = f"/a/{world.academy.slug}/search?q=quiz"
    client.get(url)
    client.application.config["QUERY_COUNT_HEADER"] = True
    try:
        few = int(client.get(url).headers["X-Query-Count"])
        for n in range(1, 30):
            make_brick(db_session, world, f"Quiz {n}")
        db_session.commit()
        client.get(url)
        many = client.get(url)
        assert many.get_data(as_text=True).count("<li>") >= services.PER_KIND
        assert int(many.headers["X-Query-Count"]) == few
    finally:
        client.application.config["QUERY_COUNT_HEADER"] = False


def test_a_long_query_is_a_400(client, login, db_session, world):
    login(world.manager)

    assert client.get(f"/a/{world.academy.slug}/search?q={'a' * 400}").status_code == 400


def test_kinds_are_all_labelled():
    from tracker.search.labels import KIND_LABELS

    assert set(KIND_LABELS) == set(DocumentKind)


def test_a_vendors_member_finds_only_the_bricks_of_their_vendor(client, login, db_session, world):
    theirs = make_brick(db_session, world, "Sécurité — module du studio")
    theirs.vendor_id = world.studio.id
    make_brick(db_session, world, "Sécurité — module interne")
    db_session.flush()
    login(world.vendor)

    page = client.get(f"/a/{world.academy.slug}/search?q=securite")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "module du studio" in text
    assert "module interne" not in text
