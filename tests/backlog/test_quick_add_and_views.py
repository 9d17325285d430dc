"""Quick add (a brick from a title and a format, on the backlog page) and saved views (a
person's named filters, theirs alone), through HTTP and the services."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.factories import make_brick
from tracker.auth.services import erase_user, export_personal_data
from tracker.backlog import saved_views
from tracker.backlog.models import Brick, SavedView
from tracker.db import utcnow


def url(world, suffix: str = "") -> str:
    return f"/a/{world.academy.slug}/backlog{suffix}"


def once_token(page: str) -> str:
    match = re.search(
        r'<form[^>]*action="[^"]*/backlog/quick-add[^"]*".*?name="once"[^>]*value="([^"]+)"',
        page,
        re.S,
    )
    assert match, "the quick-add form carries its once token"
    return match.group(1)


def bricks_titled(db_session, world, title: str) -> list[Brick]:
    return list(
        db_session.scalars(
            select(Brick).where(Brick.academy_id == world.academy.id, Brick.title == title)
        )
    )


# -- Quick add ---------------------------------------------------------------------------------


def test_quick_add_creates_a_brick_at_the_bottom_and_shows_its_row(
    db_session, world, client, login
):
    make_brick(db_session, world, "Already there")
    db_session.commit()
    login(world.designer)
    page = client.get(url(world)).get_data(as_text=True)
    response = client.post(
        url(world, "/quick-add"),
        data={"title": "  Phishing in 3 minutes ", "format": "video", "once": once_token(page)},
    )
    assert response.status_code == 303
    [brick] = bricks_titled(db_session, world, "Phishing in 3 minutes")
    assert brick.format.value == "video" and brick.created_by_id == world.designer.id
    assert response.location.endswith(f"#brick-{brick.number}")
    listed = client.get(response.location).get_data(as_text=True)
    assert f"{world.academy.key_prefix}-{brick.number} is created." in listed
    # At the bottom of the backlog, after the brick that was there.
    assert listed.index("Already there") < listed.index("Phishing in 3 minutes")


def test_quick_add_sent_twice_creates_one_brick(db_session, world, client, login):
    login(world.manager)
    token = once_token(client.get(url(world)).get_data(as_text=True))
    form = {"title": "Twice", "format": "mooc", "once": token}
    first = client.post(url(world, "/quick-add"), data=form)
    second = client.post(url(world, "/quick-add"), data=form)
    assert first.status_code == second.status_code == 303
    assert len(bricks_titled(db_session, world, "Twice")) == 1


def test_quick_add_refused_keeps_what_was_typed_and_names_the_field(
    db_session, world, client, login
):
    login(world.manager)
    before = db_session.scalar(select(func.count()).select_from(Brick))
    response = client.post(url(world, "/quick-add?format=mooc"), data={"title": "No format here"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="No format here"' in page
    assert re.search(r'id="format-error"', page)
    # The page's filters are kept in the form's address.
    assert "/backlog/quick-add?format=mooc" in page
    too_long = client.post(url(world, "/quick-add"), data={"title": "x" * 201, "format": "video"})
    assert too_long.status_code == 422 and 'id="title-error"' in too_long.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Brick)) == before


def test_the_quick_add_form_is_only_for_those_who_create(db_session, world, client, login):
    login(world.manager)
    assert "/backlog/quick-add" in client.get(url(world)).get_data(as_text=True)
    login(world.vendor)
    assert "/backlog/quick-add" not in client.get(url(world)).get_data(as_text=True)


# -- Saved views -------------------------------------------------------------------------------


def test_a_saved_view_restores_its_filters(db_session, world, client, login):
    make_brick(db_session, world, "A video", format="video")
    make_brick(db_session, world, "A MOOC", format="mooc")
    db_session.commit()
    login(world.designer)
    response = client.post(
        url(world, "/views?format=video&q=video&page=1"), data={"name": " Videos  to do "}
    )
    assert response.status_code == 303
    [view] = saved_views.views_of(db_session, world.academy, world.designer)
    assert view.name == "Videos to do"
    assert saved_views.view_args(view) == {"format": "video", "q": "video"}  # no page number
    page = client.get(url(world)).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Videos to do</a>', page)
    assert link, "the view is listed on the backlog"
    restored = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "A video" in restored and "A MOOC" not in restored
    assert '<option selected value="video">' in restored


def test_saving_under_a_used_name_replaces_the_filters(db_session, world, client, login):
    login(world.manager)
    client.post(url(world, "/views?format=video"), data={"name": "Mine"})
    client.post(url(world, "/views?format=mooc"), data={"name": "Mine"})
    [view] = saved_views.views_of(db_session, world.academy, world.manager)
    assert saved_views.view_args(view) == {"format": "mooc"}


def test_a_view_needs_a_name_and_a_filter(db_session, world, client, login):
    login(world.manager)
    nameless = client.post(url(world, "/views?format=video"), data={"name": "   "})
    assert nameless.status_code == 422 and 'id="name-error"' in nameless.get_data(as_text=True)
    unfiltered = client.post(url(world, "/views"), data={"name": "Everything"})
    page = unfiltered.get_data(as_text=True)
    assert unfiltered.status_code == 422
    assert "Choose at least one filter before saving a view." in page
    assert 'value="Everything"' in page  # what was typed is kept
    # An invalid filter is not kept in the view (only the valid ones travel).
    client.post(url(world, "/views?format=hologram&q=x"), data={"name": "Odd"})
    [view] = saved_views.views_of(db_session, world.academy, world.manager)
    assert saved_views.view_args(view) == {"q": "x"}


def test_views_are_private_and_bounded(db_session, world, client, login):
    theirs = saved_views.save_view(db_session, world.academy, world.manager, "M", {"q": "a"})
    db_session.commit()
    login(world.designer)
    assert ">M</a>" not in client.get(url(world)).get_data(as_text=True)
    assert client.post(url(world, f"/views/{theirs.id}/delete")).status_code == 404
    assert db_session.get(SavedView, theirs.id) is not None
    for n in range(saved_views.MAX_VIEWS):
        saved_views.save_view(db_session, world.academy, world.designer, f"V{n}", {"q": str(n)})
    db_session.commit()
    one_more = client.post(url(world, "/views?q=z"), data={"name": "One more"})
    assert one_more.status_code == 422
    assert "remove one first" in one_more.get_data(as_text=True)


def test_a_view_is_removed_by_its_owner(db_session, world, client, login):
    view = saved_views.save_view(db_session, world.academy, world.manager, "Gone", {"q": "a"})
    db_session.commit()
    login(world.manager)
    response = client.post(url(world, f"/views/{view.id}/delete?q=a"))
    assert response.status_code == 303 and "q=a" in response.location
    assert saved_views.views_of(db_session, world.academy, world.manager) == []


def test_a_shared_view_is_listed_for_the_team_under_its_authors_name(
    db_session, world, client, login
):
    login(world.designer)
    response = client.post(
        url(world, "/views?format=video"), data={"name": "Team videos", "shared": "y"}
    )
    assert response.status_code == 303
    [view] = saved_views.views_of(db_session, world.academy, world.designer)
    assert view.shared is True
    mine = client.get(url(world)).get_data(as_text=True)
    assert 'Team videos</a> <span class="badge">shared</span>' in mine

    login(world.manager)
    page = client.get(url(world)).get_data(as_text=True)
    assert "Team views" in page
    assert re.search(r">Team videos</a> <small[^>]*>by Dan Designer</small>", page)
    # a private view of the designer's stays theirs
    saved_views.save_view(db_session, world.academy, world.designer, "Secret", {"q": "s"})
    db_session.commit()
    assert ">Secret</a>" not in client.get(url(world)).get_data(as_text=True)

    login(world.vendor)  # a vendor's member is not offered the team's views
    assert "Team videos" not in client.get(url(world)).get_data(as_text=True)


def test_only_builders_share_and_a_manager_may_remove_a_shared_view(
    db_session, world, client, login
):
    login(world.vendor)
    refused = client.post(url(world, "/views?format=video"), data={"name": "V", "shared": "y"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Only a manager or a designer shares a view." in html and 'value="V"' in html
    assert saved_views.views_of(db_session, world.academy, world.vendor) == []

    shared = saved_views.save_view(
        db_session, world.academy, world.designer, "Ours", {"q": "a"}, shared=True, may_share=True
    )
    private = saved_views.save_view(db_session, world.academy, world.designer, "Own", {"q": "b"})
    managers = saved_views.save_view(
        db_session, world.academy, world.manager, "Boss", {"q": "c"}, shared=True, may_share=True
    )
    db_session.commit()
    login(world.designer)  # not the author, not a manager: another's shared view stays
    assert client.post(url(world, f"/views/{managers.id}/delete")).status_code == 404
    login(world.manager)
    assert client.post(url(world, f"/views/{private.id}/delete")).status_code == 404
    assert client.post(url(world, f"/views/{shared.id}/delete")).status_code == 303
    db_session.expire_all()
    assert db_session.get(SavedView, shared.id) is None
    assert db_session.get(SavedView, private.id) is not None
    assert db_session.get(SavedView, managers.id) is not None


def test_saved_views_are_in_the_personal_export_and_erased(db_session, world):
    saved_views.save_view(db_session, world.academy, world.designer, "Mine", {"format": "video"})
    db_session.flush()
    exported = export_personal_data(db_session, world.designer)["saved_views"]
    assert exported == [
        {
            "academy": world.academy.slug,
            "name": "Mine",
            "filters": "format=video",
            "shared": False,
            "created_at": exported[0]["created_at"],
        }
    ]
    erase_user(db_session, world.designer, actor=world.admin, now=utcnow())
    assert saved_views.views_of(db_session, world.academy, world.designer) == []


def test_the_backlog_page_runs_as_many_queries_with_many_views(
    db_session, world, client, login, queries
):
    login(world.manager)

    def count_with(views: int) -> int:
        for n in range(views):
            saved_views.save_view(
                db_session, world.academy, world.manager, f"N{views}-{n}", {"q": "x"}
            )
            saved_views.save_view(
                db_session, world.academy, world.designer, f"T{views}-{n}", {"q": "y"},
                shared=True, may_share=True,
            )  # fmt: skip
        db_session.commit()
        with queries() as counter:
            assert client.get(url(world)).status_code == 200
        return counter.count

    assert count_with(1) == count_with(20)
