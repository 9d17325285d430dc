"""Input bounds: every number, date and choice a form or a query takes is checked against what
makes sense and what the column holds (tracker/forms.py BoundedIntegerField, BoundedDateField;
tracker/web.py query_int, query_page, query_date, query_text). One test per 500 of issue 17,
each through HTTP with the rest of the form valid (taken from the page itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.feedback.factories import add_item, add_round
from tests.fuzz.test_fuzz import forms_of
from tracker.academies.models import Stage
from tracker.backlog.models import Brick, TrainingNeed
from tracker.backlog.needs_services import submit_need
from tracker.backlog.services import create_brick
from tracker.board.stages import add_stage
from tracker.db import FIRST_DATE, INTEGER_MAX, LAST_DATE, parse_integer, utcnow
from tracker.feedback.models import FeedbackRound

PAST_32_BITS = str(2**31)
PAST_64_BITS = str(2**63)
OUT_OF_RANGE = ("-1", PAST_32_BITS, PAST_64_BITS, "9" * 40, "NaN", "inf", "1e3", "\uff11\uff12")
MESSAGES = ("Enter a whole number between", "Not a valid integer value")


def form_on(client: Any, page: str, action: str = "") -> tuple[str, dict[str, list[str]]]:
    """The POST form of `page` whose action contains `action`: its address and its values as
    the page filled them in."""
    response = client.get(page)
    assert response.status_code == 200, page
    for form in forms_of(page, response.get_data(as_text=True)):
        if form.method == "post" and action in form.action and form.action != "/logout":
            return form.action, {k: list(v) for k, v in form.values.items()}
    raise AssertionError(f"no form posting to {action!r} on {page}")


def refused(response: Any, *messages: str) -> bool:
    """A 422 with the message beside the field (one of `messages`, or a number's)."""
    body = response.get_data(as_text=True)
    return response.status_code == 422 and any(m in body for m in messages or MESSAGES)


@pytest.fixture
def manager(client, world, login):
    login(world.manager)
    return f"/a/{world.academy.slug}"


def _brick(db_session, world, title: str = "Card") -> Brick:
    return create_brick(
        db_session, world.academy, actor=world.manager, title=title, format="video", now=utcnow()
    )


# -- The field and the helper themselves ----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_integer_reads_ascii_digits_only(text):
    value = parse_integer(text)
    digits = text.strip().removeprefix("-").removeprefix("+")
    if value is None:
        assert not (digits.isascii() and digits.isdigit())
    elif len(digits.lstrip("0")) <= 18:
        assert value == int(text)
    else:  # beyond every bound, never converted
        assert value == (-(10**18) if text.strip().startswith("-") else 10**18)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.integers(), st.text(max_size=30), st.floats().map(str)))
def test_any_headcount_is_stored_within_bounds_or_refused(client, db_session, manager, value):
    action, form = form_on(client, f"{manager}/needs/new")
    form.update(title=["RGPD"], business_unit=["DRH"], headcount=[str(value)])

    response = client.post(action, data=form)

    assert response.status_code in (303, 422)
    stored = db_session.scalars(select(TrainingNeed.headcount)).all()
    assert all(h is None or 0 <= h <= 10_000_000 for h in stored)


# -- Issue 17: each 500, now a message beside its field ---------------------------------------


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_headcount_of_a_new_need(client, db_session, manager, value):
    action, form = form_on(client, f"{manager}/needs/new")
    form.update(title=["RGPD"], business_unit=["DRH"], headcount=[value])

    assert refused(client.post(action, data=form))
    assert db_session.scalar(select(func.count()).select_from(TrainingNeed)) == 0


def test_headcount_of_an_edited_need(client, db_session, world, manager):
    need = submit_need(
        db_session, world.academy, actor=world.manager, title="RGPD", business_unit="DRH",
        now=utcnow(),
    )  # fmt: skip
    db_session.commit()
    action, form = form_on(client, f"{manager}/needs/{need.id}/edit")

    response = client.post(action, data={**form, "headcount": [PAST_32_BITS]})

    assert refused(response)
    db_session.refresh(need)
    assert need.headcount is None


def test_position_of_a_backlog_move(client, db_session, world, manager):
    brick = _brick(db_session, world)
    db_session.commit()
    action, form = form_on(client, f"{manager}/backlog", "/backlog/move")

    rank = brick.rank

    response = client.post(
        action,
        data={**form, "move": [f"{brick.number} position"], f"p{brick.number}": [PAST_64_BITS]},
        follow_redirects=True,
    )

    assert response.status_code == 200  # the list again, with the message
    assert "Enter a whole number between 1 and 1,000,000" in response.get_data(as_text=True)
    db_session.refresh(brick)
    assert brick.rank == rank


def test_position_of_a_board_move(client, db_session, world, manager):
    brick = _brick(db_session, world)
    db_session.commit()
    action, form = form_on(client, f"{manager}/board/{brick.number}/move")

    response = client.post(action, data={**form, "position": [PAST_32_BITS]})

    assert refused(response)


def test_wip_limit_of_a_new_stage(client, db_session, manager):
    action, form = form_on(client, f"{manager}/stages", "/stages/new")
    form.update(name=["QA"], wip_limit=[PAST_64_BITS])

    assert refused(client.post(action, data=form))
    assert db_session.scalar(select(Stage).where(Stage.name == "QA")) is None


def test_wip_limit_of_an_edited_stage(client, db_session, world, manager):
    stage = add_stage(db_session, world.academy, name="Review")
    db_session.commit()
    action, form = form_on(client, f"{manager}/stages/{stage.id}/edit")

    assert refused(client.post(action, data={**form, "wip_limit": [PAST_32_BITS]}))
    assert refused(client.post(action, data={**form, "wip_limit": ["1001"]}))
    db_session.refresh(stage)
    assert stage.wip_limit is None


def test_gate_max_blocking_of_a_new_round(client, db_session, manager):
    action, form = form_on(client, f"{manager}/rounds/new")
    form.update(title=["Beta"], gate_max_blocking=[PAST_32_BITS])

    assert refused(client.post(action, data=form))
    assert db_session.scalar(select(func.count()).select_from(FeedbackRound)) == 0


def test_round_dates_beyond_the_supported_range(client, db_session, manager):
    action, form = form_on(client, f"{manager}/rounds/new")
    form.update(title=["Beta"], closes_at=["9999-12-31T23:59"])

    assert refused(client.post(action, data=form), "Choose a date between")


def test_estimate_points_of_a_new_brick(client, db_session, manager):
    action, form = form_on(client, f"{manager}/bricks/new")
    form.update(title=["Quiz"], format=["video"], estimate_points=[PAST_64_BITS])

    assert refused(client.post(action, data=form))
    assert db_session.scalar(select(func.count()).select_from(Brick)) == 0


def test_every_number_of_the_brick_form_at_once(client, db_session, manager):
    action, form = form_on(client, f"{manager}/bricks/new")
    numbers = ("estimate_points", "stage_id", "sprint_id", "release_id", "learning_path_id")
    form.update(title=["Quiz"], format=["video"], learner_minutes=[PAST_64_BITS])
    form.update({name: [PAST_64_BITS] for name in (*numbers, "owner_id")})

    response = client.post(action, data=form)

    assert response.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(Brick)) == 0


@pytest.mark.parametrize("value", ["nan", "inf", "true", "False", "\x00", "x" * 100_000, "de"])
def test_language_of_a_brick_is_one_of_its_choices(client, db_session, manager, value):
    action, form = form_on(client, f"{manager}/bricks/new")
    form.update(title=["Quiz"], format=["video"], language=[value])

    response = client.post(action, data=form)

    if value == "de":  # a language of the list
        assert response.status_code == 303
        assert db_session.scalar(select(Brick.language)) == "de"
    else:
        assert refused(response, "Not a valid choice")
        assert db_session.scalar(select(func.count()).select_from(Brick)) == 0


def test_a_language_set_by_an_import_stays_offered(client, db_session, world, manager):
    brick = _brick(db_session, world)
    brick.language = "ja"
    db_session.commit()
    action, form = form_on(client, f"{manager}/bricks/{brick.number}/edit")

    assert form["language"] == ["ja"]
    assert client.post(action, data={**form, "title": ["Renamed"]}).status_code == 303
    assert refused(client.post(action, data={**form, "language": ["ko"]}), "Not a valid choice")


def test_sprint_length_in_the_academy_settings(client, db_session, world, manager):
    action, form = form_on(client, f"{manager}/settings")

    for value in ("0", "91", PAST_32_BITS, "-" + PAST_64_BITS):
        assert refused(client.post(action, data={**form, "sprint_length_days": [value]}))
    db_session.refresh(world.academy)
    assert 1 <= world.academy.sprint_length_days <= 90


def test_duplicate_of_in_a_triage_move(client, db_session, world, manager):
    round_ = add_round(db_session, world.academy)
    item = add_item(db_session, round_, title="Slide 4 unreadable")
    db_session.commit()
    action, form = form_on(client, f"{manager}/rounds/{round_.id}/triage", f"/items/{item.id}/move")
    duplicate = next(name for name in form if name.endswith("duplicate_of"))
    status = next(name for name in form if name.endswith("status"))

    response = client.post(action, data={**form, status: ["duplicate"], duplicate: [PAST_64_BITS]})

    assert response.status_code == 422
    db_session.refresh(item)
    assert item.duplicate_of_id is None


def test_brick_picker_query_on_a_need(client, db_session, world, manager):
    need = submit_need(
        db_session, world.academy, actor=world.manager, title="RGPD", business_unit="DRH",
        now=utcnow(),
    )  # fmt: skip
    _brick(db_session, world, title="Quiz RGPD")
    db_session.commit()
    page = f"{manager}/needs/{need.id}/"

    for value in (PAST_32_BITS, PAST_64_BITS, "9" * 40, "9" * 5000, f"AC-{PAST_64_BITS}"):
        assert client.get(page, query_string={"q": value}).status_code == 200
    assert "Quiz RGPD" in client.get(page, query_string={"q": "rgpd"}).get_data(as_text=True)


def test_page_of_the_outbox(client, world, login):
    login(world.admin)

    for value in (PAST_32_BITS, PAST_64_BITS, "9" * 40, "NaN", "-1", "0", "abc"):
        response = client.get("/admin/outbox/", query_string={"page": value})
        assert response.status_code == 400, value
        assert "“page” must be a whole number" in response.get_data(as_text=True)
    assert client.get("/admin/outbox/?page=2").status_code == 200


def test_a_bad_query_parameter_is_a_json_problem_for_json_callers(client, world, login):
    login(world.admin)

    response = client.get(
        "/admin/outbox/?page=" + PAST_64_BITS, headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "page" in response.get_json()["detail"]


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
def test_reports_period_beyond_the_supported_dates(client, manager, end):
    response = client.get(f"{manager}/reports", query_string={"end": end})

    assert refused(response, "Choose a date between")


def test_reports_period_within_the_supported_dates(client, manager):
    first, last = FIRST_DATE.isoformat(), (FIRST_DATE + dt.timedelta(days=20)).isoformat()

    response = client.get(f"{manager}/reports", query_string={"start": first, "end": last})

    assert response.status_code == 200
    assert LAST_DATE.year == 2099 and INTEGER_MAX == 2**31 - 1


@pytest.mark.parametrize("value", ["9" * 5000, 2**63, "\uff11\uff12", True, -1, 1.5, [1]])
def test_json_numbers_are_whole_numbers_a_column_holds(client, db_session, world, manager, value):
    brick = _brick(db_session, world)
    db_session.commit()
    json = {"Accept": "application/json"}

    board = client.post(
        f"{manager}/board/move", json={"brick": value, "version": 1, "stage": 1}, headers=json
    )
    backlog = client.post(
        f"{manager}/backlog/reorder", json={"brick": brick.number, "before": value}, headers=json
    )

    assert board.status_code == 400 and board.mimetype == "application/problem+json"
    assert backlog.status_code == 400 and backlog.mimetype == "application/problem+json"


def test_a_query_choice_outside_its_choices_is_a_400(client, world, manager):
    needs = f"{manager}/needs/"

    assert client.get(needs, query_string={"status": "accepted"}).status_code == 200
    for value in ("bogus", "x" * 100_000, "NaN"):  # (a NUL alone is dropped: no status)
        response = client.get(needs, query_string={"status": value})
        assert response.status_code == 400
        assert "“status” has an unknown value" in response.get_data(as_text=True)
