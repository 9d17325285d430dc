"""Creating academies (site admin only): default stages in the academy's language, addresses."""

from __future__ import annotations

import pytest

from tests.auth.test_login import field_error
from tests.factories import make_academy
from tracker.academies import services
from tracker.academies.models import Academy, StageCategory
from tracker.errors import DomainError

EN = {"Accept-Language": "en"}


def new_academy(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Académie Cyber",
        "slug": "cyber",
        "key_prefix": "CYB",
        "default_locale": "fr",
        "description": "Security **training**.",
    }
    data.update(overrides)
    return data


def test_admin_creates_an_academy_with_the_six_french_stages(client, db_session, login, world):
    login(world.admin)

    response = client.post("/academies/new", data=new_academy())

    assert response.status_code == 303
    assert response.location == "/a/cyber/members"
    academy = db_session.query(Academy).filter_by(slug="cyber").one()
    assert (academy.name, academy.key_prefix, academy.default_locale) == (
        "Académie Cyber",
        "CYB",
        "fr",
    )
    assert [(s.name, s.category, s.position) for s in academy.stages] == [
        ("Backlog", StageCategory.BACKLOG, 0),
        ("Analyse", StageCategory.ACTIVE, 1),
        ("Conception", StageCategory.ACTIVE, 2),
        ("Production", StageCategory.ACTIVE, 3),
        ("Relecture (alpha)", StageCategory.REVIEW, 4),
        ("Prêt", StageCategory.DONE, 5),
    ]


def test_an_english_academy_gets_english_stages(client, db_session, login, world):
    login(world.admin)

    client.post("/academies/new", data=new_academy(default_locale="en"))

    academy = db_session.query(Academy).filter_by(slug="cyber").one()
    assert [s.name for s in academy.stages] == [
        "Backlog",
        "Analysis",
        "Design",
        "Production",
        "Review (alpha)",
        "Ready",
    ]


def test_the_new_academy_page_and_its_home(client, db_session, login, world):
    login(world.admin)
    assert client.get("/academies/new").status_code == 200
    client.post("/academies/new", data=new_academy())

    page = client.get("/a/cyber/", headers=EN).get_data(as_text=True)

    assert "Académie Cyber" in page
    assert "<strong>training</strong>" in page  # the description is Markdown
    assert "Relecture (alpha)" in page


@pytest.mark.parametrize("who", ["manager", "designer", "tester", "stakeholder"])
def test_only_the_site_admin_creates_academies(client, db_session, login, world, who):
    login(getattr(world, who))

    response = client.post("/academies/new", data=new_academy())

    assert response.status_code == 403
    assert db_session.query(Academy).filter_by(slug="cyber").count() == 0


@pytest.mark.parametrize(
    "slug",
    ["Has Spaces", "under_score", "-leading", "trailing-", "double--dash", "école", "a/b", "x"],
)
def test_a_bad_address_is_refused_on_its_field_keeping_what_was_typed(
    client, db_session, login, world, slug
):
    login(world.admin)

    response = client.post(
        "/academies/new", data=new_academy(slug=slug, name="Kept Name"), headers=EN
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "slug")
    assert 'value="Kept Name"' in page
    assert 'value="CYB"' in page
    assert db_session.query(Academy).filter_by(name="Kept Name").count() == 0


def test_an_upper_case_address_is_lowered(client, db_session, login, world):
    login(world.admin)

    response = client.post("/academies/new", data=new_academy(slug="Cyber-2"))

    assert response.status_code == 303
    assert db_session.query(Academy).filter_by(slug="cyber-2").count() == 1


def test_an_address_already_taken_is_refused(client, db_session, login, world):
    login(world.admin)

    response = client.post(
        "/academies/new", data=new_academy(slug=world.academy.slug.upper()), headers=EN
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "slug") == (
        "Another academy already uses this address."
    )


@pytest.mark.parametrize("prefix", ["1AB", "A", "TOO-LONG", "AB CD", "ÉCOLE"])
def test_a_bad_key_prefix_is_refused(client, db_session, login, world, prefix):
    login(world.admin)

    response = client.post("/academies/new", data=new_academy(key_prefix=prefix), headers=EN)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "key_prefix")


def test_the_service_refuses_a_taken_slug_too(db_session, world):
    with pytest.raises(DomainError) as refused:
        services.create_academy(
            db_session, name="Copy", slug=world.academy.slug, key_prefix="CPY", actor=world.admin
        )
    assert refused.value.field == "slug"


def test_the_academy_list_shows_mine_and_everything_to_the_admin(client, db_session, login, world):
    make_academy(db_session, name="Third Academy", actor=world.admin)
    login(world.admin)

    page = client.get("/academies/").get_data(as_text=True)

    for name in ("Main Academy", "Other Academy", "Third Academy"):
        assert name in page


def test_a_member_sees_only_their_academies(client, db_session, login, world):
    login(world.designer)

    page = client.get("/academies/").get_data(as_text=True)

    assert "Main Academy" in page
    assert "Other Academy" not in page
