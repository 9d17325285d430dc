"""The results page and the exports, through HTTP."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import (
    add_brick,
    add_invitation,
    add_item,
    add_question,
    add_round,
    make_release,
    make_user,
    respond,
)
from tracker.feedback.gate import evaluate_gate
from tracker.feedback.models import Answer, GateMetric, QuestionKind, Severity
from tracker.feedback.results import forget_kept
from tracker.feedback.results_views import forget_drawn

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def results_url(world, round_, query: str = "") -> str:
    return f"/a/{world.academy.slug}/rounds/{round_.id}/results{query}"


@pytest.fixture
def survey(db_session, world):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=True, title="Beta 1")
    video = add_brick(db_session, world.academy, release, "Intro video")
    rating = add_question(db_session, round_, QuestionKind.RATING, "Overall satisfaction",
                          gate_metric=GateMetric.CSAT)  # fmt: skip
    nps = add_question(db_session, round_, QuestionKind.NPS, "Recommend it?")
    per_brick = add_question(db_session, round_, QuestionKind.RATING, "This brick", per_brick=True)
    choice = add_question(db_session, round_, QuestionKind.SINGLE_CHOICE, "Time spent",
                          choices=["< 30 min", "> 30 min"])  # fmt: skip
    text = add_question(db_session, round_, QuestionKind.TEXT, "What to improve?")
    for n in range(8):
        add_invitation(db_session, round_, make_user(db_session), completed=n < 6)
    units = ["Sales"] * 5 + ["Legal"]
    for n, unit in enumerate(units):
        respond(
            db_session, round_,
            {rating: 5 if n < 4 else 2, nps: [10, 10, 9, 8, 3, 0][n], per_brick: {video: 4},
             choice: "< 30 min", text: "Le SON est trop bas" if n == 0 else f"Fine {n}"},
            business_unit=unit, site="Lyon",
        )  # fmt: skip
    respond(db_session, round_, {rating: 1, text: "draft secret"}, submitted=False)
    return round_, video


def test_the_results_page_shows_rate_figures_charts_and_tables(
    client, login, world, survey
) -> None:
    round_, video = survey
    login(world.manager)

    page = client.get(results_url(world, round_)).get_data(as_text=True)

    assert "75%" in page  # 6 of 8 invited (English: no space before %)
    assert "Overall satisfaction" in page
    # CSAT 4 of 6 = 66.7 %, NPS (3 - 2) / 6 = +16.7 with its margin, indicative (6 < 30).
    assert re.search(r"66[.,]7", page)
    assert "+16.7" in page or "+16,7" in page
    assert "±" in page
    assert "indicative" in page
    # Charts are SVG with a title and a description, and their numbers as tables.
    assert page.count('role="img"') >= 4
    assert "<title id=" in page and "<desc id=" in page
    assert "chart-table" in page
    assert f"{video.key}" in page
    # A draft never counts.
    assert "draft secret" not in page


def test_anonymous_rounds_hide_small_segments(client, login, world, survey) -> None:
    round_, _ = survey
    login(world.designer)

    page = client.get(results_url(world, round_, "?dim=business_unit")).get_data(as_text=True)

    segments = page[page.index('id="segments"') : page.index('id="free-text"')]
    assert "Sales" in segments
    assert "fewer than 5 answers: hidden" in segments


def test_free_text_is_searchable(client, login, world, survey) -> None:
    round_, _ = survey
    login(world.manager)

    page = client.get(results_url(world, round_, "?q=son+EST")).get_data(as_text=True)

    free_text = page[page.index('id="free-text"') :]
    assert "Le SON est trop bas" in free_text
    assert "Fine 1" not in free_text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?dim=nonsense", 200),  # an unknown dimension: the default one
        ("?question=12345", 200),  # not a question of this round: none chosen
        ("?page=abc", 400),  # numbers out of their bounds: a clear 400
        ("?page=999999999999999", 400),
        ("?question=99999999999999", 400),
    ],
)
def test_odd_parameters_never_break_the_page(client, login, world, survey, query, status) -> None:
    round_, _ = survey
    login(world.manager)

    assert client.get(results_url(world, round_, query)).status_code == status


def test_a_round_of_another_academy_is_not_found(client, login, db_session, world) -> None:
    foreign = add_round(db_session, world.other_academy)
    login(world.manager)

    assert client.get(results_url(world, foreign)).status_code == 404


def test_the_stored_gate_is_shown_once_the_round_closed(
    client, login, db_session, world, survey
) -> None:
    round_, _ = survey
    evaluate_gate(db_session, round_, now=NOW)
    login(world.manager)

    page = client.get(results_url(world, round_)).get_data(as_text=True)

    assert "Release gate" in page
    assert "if the round closed now" not in page


def build_round(db_session, world, responses: int):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=True)
    bricks = [add_brick(db_session, world.academy, release) for _ in range(2)]
    questions = [
        add_question(db_session, round_, QuestionKind.RATING),
        add_question(db_session, round_, QuestionKind.NPS),
        add_question(db_session, round_, QuestionKind.RATING, per_brick=True),
        add_question(db_session, round_, QuestionKind.MULTI_CHOICE, choices=["A", "B"]),
        add_question(db_session, round_, QuestionKind.YES_NO),
        add_question(db_session, round_, QuestionKind.TEXT),
    ]
    rating, nps, per_brick, multi, yes_no, text = questions
    for n in range(responses):
        respond(
            db_session, round_,
            {rating: 1 + n % 5, nps: n % 11, per_brick: dict.fromkeys(bricks, 1 + n % 5),
             multi: ["A", "B"][: n % 3], yes_no: n % 2 == 0, text: f"text {n}"},
            business_unit=f"Unit {n % 3}", flush=False,
        )  # fmt: skip
    for _ in range(responses // 5):
        add_item(db_session, round_, severity=Severity.BLOCKING)
    db_session.flush()
    return round_


def test_the_page_runs_the_same_number_of_queries_for_5_or_60_responses(
    client, login, db_session, world, queries
) -> None:

    small, large = build_round(db_session, world, 5), build_round(db_session, world, 60)
    login(world.manager)
    client.get(results_url(world, small))  # warm the caches shared by every page

    counts = []
    for round_ in (small, large):
        forget_kept()  # nothing of either round kept: every figure computed, every chart drawn
        forget_drawn()
        with queries() as counter:
            response = client.get(results_url(world, round_, "?dim=site&q=text"))
        assert response.status_code == 200
        counts.append(counter.count)

    assert counts[0] == counts[1], counts
    assert counts[1] <= 30


def test_an_open_rounds_text_answers_and_gate_preview_are_kept_until_an_answer_changes(
    client, login, db_session, world, queries
) -> None:
    round_ = build_round(db_session, world, 5)
    db_session.commit()  # counted: what is kept is keyed by the change counters
    login(world.manager)
    address = results_url(world, round_, "?q=text+4")

    with queries() as first:
        page = client.get(address).get_data(as_text=True)
    with queries() as again:
        kept = client.get(address).get_data(as_text=True)
    # The gate's preview (invitations, responses, blocking items, CSAT and NPS answers) and the
    # page of text answers (a count and a page) are not read again.
    assert first.count - again.count >= 7, (first.count, again.count)
    assert "text 4" in page and kept == page

    answer = db_session.scalars(select(Answer).where(Answer.value_text == "text 4")).one()
    answer.value_text = "text 4, edited"
    add_item(db_session, round_, severity=Severity.BLOCKING)
    db_session.commit()
    after = client.get(address).get_data(as_text=True)

    def blocking(html: str) -> str:  # the value in the gate's row "at most N blocking items"
        found = re.search(r'<td class="num">\s*(\d+)\s*</td>\s*<td class="num">\s*≤', html)
        assert found, "no blocking criterion"
        return found.group(1)

    assert "text 4, edited" in after
    assert (blocking(page), blocking(after)) == ("1", "2")


# -- Exports ----------------------------------------------------------------------------------


def export_url(world, round_, what: str, fmt: str) -> str:
    return f"/a/{world.academy.slug}/rounds/{round_.id}/export/{what}.{fmt}"


def test_answers_export_csv_for_excel(client, login, world, survey) -> None:
    round_, video = survey
    login(world.designer)

    response = client.get(export_url(world, round_, "answers", "csv"))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.data[3:].decode("utf-8")), delimiter=";"))
    assert len(rows) == 7  # header + 6 submitted
    assert any(video.key in header for header in rows[0])
    assert "Name" not in rows[0]  # anonymous round
    assert "draft secret" not in response.data.decode("utf-8")


def test_items_export_xlsx(client, login, db_session, world, survey) -> None:
    round_, video = survey
    add_item(db_session, round_, title="Sound too low", brick=video, severity=Severity.BLOCKING)
    login(world.manager)

    response = client.get(export_url(world, round_, "items", "xlsx"))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    item = dict(zip(rows[0], rows[1], strict=True))
    assert item["Title"] == "Sound too low"
    assert item["Brick"] == video.key


def test_unknown_export_formats_are_not_found(client, login, world, survey) -> None:
    round_, _ = survey
    login(world.manager)

    assert client.get(export_url(world, round_, "answers", "pdf")).status_code == 404
