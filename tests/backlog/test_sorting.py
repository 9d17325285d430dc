"""Sorting the backlog by a column: the page's rows in that order, rows without a value last,
positions still those of the priority order, and no reordering while sorted."""

from __future__ import annotations

import re

from tests.factories import make_brick
from tracker.backlog import queries


def url(world, query: str = "") -> str:
    return f"/a/{world.academy.slug}/backlog{query}"


def titles(html: str) -> list[str]:
    return re.findall(r'<td class="col-title"><a href="[^"]+">([^<]+)</a>', html)


def positions(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td class=\"num\" data-position-cell>(\d+)</td>", html)]


def arrange(db_session, world):
    # Priority order: Zèbre, alpha, Éclair, beta (as created)
    make_brick(db_session, world, "Zèbre", format="video", estimate_points=3, learner_minutes=20)
    make_brick(db_session, world, "alpha", format="mooc", estimate_points=None, learner_minutes=90)
    make_brick(db_session, world, "Éclair", format="video", estimate_points=8)
    make_brick(db_session, world, "beta", format="podcast", estimate_points=1, learner_minutes=5)
    db_session.commit()


def test_sorting_by_title_ignores_case_and_accents_and_keeps_positions(
    db_session, world, client, login
):
    arrange(db_session, world)
    login(world.manager)

    asc = client.get(url(world, "?sort=title")).get_data(as_text=True)
    desc = client.get(url(world, "?sort=-title")).get_data(as_text=True)

    assert titles(asc) == ["alpha", "beta", "Éclair", "Zèbre"]
    assert positions(asc) == [2, 4, 3, 1]  # each row's place in the priority order
    assert titles(desc) == ["Zèbre", "Éclair", "beta", "alpha"]
    assert 'aria-sort="ascending"' in asc and 'aria-sort="descending"' in desc


def test_rows_without_a_value_come_last_in_both_directions(db_session, world, client, login):
    arrange(db_session, world)
    login(world.manager)

    by_points = titles(client.get(url(world, "?sort=points")).get_data(as_text=True))
    by_points_desc = titles(client.get(url(world, "?sort=-points")).get_data(as_text=True))
    by_minutes = titles(client.get(url(world, "?sort=-duration")).get_data(as_text=True))

    assert by_points == ["beta", "Zèbre", "Éclair", "alpha"]
    assert by_points_desc == ["Éclair", "Zèbre", "beta", "alpha"]
    assert by_minutes == ["alpha", "Zèbre", "beta", "Éclair"]


def test_a_sorted_list_offers_no_reordering_and_a_way_back(db_session, world, client, login):
    arrange(db_session, world)
    login(world.manager)

    sorted_page = client.get(url(world, "?sort=title&format=video")).get_data(as_text=True)
    plain = client.get(url(world, "?format=video")).get_data(as_text=True)

    assert "data-reorder-url" not in sorted_page and 'class="row-actions"' not in sorted_page
    assert "data-reorder-url" in plain and 'class="row-actions"' in plain
    assert f'href="/a/{world.academy.slug}/backlog?format=video">Back to the priority order' in (
        sorted_page
    )
    # the filter form keeps the sort; a header link cycles ascending -> descending -> none
    assert '<input type="hidden" name="sort" value="title">' in sorted_page
    assert re.search(r'href="[^"]*sort=-title[^"]*">Title', sorted_page)
    descending = client.get(url(world, "?sort=-title")).get_data(as_text=True)
    assert f'href="/a/{world.academy.slug}/backlog">Title' in descending


def test_an_unknown_sort_is_ignored_and_the_query_count_stays_constant(
    db_session, world, client, login, queries
):
    arrange(db_session, world)
    login(world.manager)
    odd = client.get(url(world, "?sort=password"))
    assert odd.status_code == 200
    assert titles(odd.get_data(as_text=True)) == ["Zèbre", "alpha", "Éclair", "beta"]
    assert queries_module_sorts_are_known()

    def count(n_more: int) -> int:
        for i in range(n_more):
            make_brick(db_session, world, f"More {i}", format="video", owner_id=world.designer.id)
        db_session.commit()
        with queries() as counter:
            assert client.get(url(world, "?sort=owner")).status_code == 200
        return counter.count

    assert count(1) == count(30)


def queries_module_sorts_are_known() -> bool:
    return queries.sort_order("-owner") == ("owner", True) and queries.sort_order("x") is None
