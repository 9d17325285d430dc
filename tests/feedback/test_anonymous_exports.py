"""Response-level exports of anonymous rounds: no segment combination shown is shared by fewer
than 5 respondents (tracker/feedback/anonymity.py), through the service and through HTTP."""

from __future__ import annotations

import codecs
import csv
import io
import random
from collections import Counter

import pytest
from flask_babel import force_locale

from tests.feedback.factories import add_question, add_round, make_release, respond
from tests.feedback.test_exports import read_xlsx
from tracker.feedback import exports
from tracker.feedback.anonymity import LADDER, generalise
from tracker.feedback.models import QuestionKind

HIDDEN = "(hidden)"
COMMON = ("Finance", "Analyst", "Paris", "fr")
UNIQUE = ("Juridique", "Avocat", "Nice", "en")


def _read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))


def _compatible(shown: tuple[str | None, ...], true: tuple[str, ...]) -> bool:
    return all(s is None or s == t for s, t in zip(shown, true, strict=True))


def _check(combinations: list[tuple[str, ...]], minimum: int = 5) -> list[tuple[str | None, ...]]:
    shown = generalise(combinations, minimum=minimum)
    assert len(shown) == len(combinations)
    for row, true in zip(shown, combinations, strict=True):
        assert _compatible(row, true)  # generalised, never a wrong value
        assert tuple(i for i, v in enumerate(row) if v is not None) in LADDER
    counts = Counter(shown)
    if len(combinations) < minimum:
        assert set(counts) <= {(None,) * 4}
    else:
        assert min(counts.values()) >= minimum, counts
    return shown


def test_a_unique_combination_is_generalised_until_five_people_share_it() -> None:
    rows = [COMMON] * 6 + [("Finance", "Analyst", "Lyon", "fr")] * 5 + [UNIQUE]

    shown = _check(rows)

    # The unique tester alone at the bottom would be singled out by elimination: the smallest
    # shown group joins them, and the other group keeps every attribute.
    assert Counter(shown) == {(None,) * 4: 6, COMMON: 6}


def test_generalisation_drops_the_site_before_the_business_unit() -> None:
    rows = [("Finance", "Analyst", f"Site {n}", "fr") for n in range(5)] + [COMMON] * 5

    shown = _check(rows)

    assert Counter(shown) == {COMMON: 5, ("Finance", "Analyst", None, "fr"): 5}


def test_fewer_than_five_respondents_show_no_attribute() -> None:
    assert _check([COMMON] * 4) == [(None,) * 4] * 4


@pytest.mark.parametrize("seed", range(40))
def test_random_panels_never_show_a_combination_of_fewer_than_five(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(0, 80)
    values = [["BU1", "BU2", "BU3", ""], ["J1", "J2", "J3"], ["S1", "S2", "S3", "S4"], ["fr", "en"]]
    rows = [tuple(rng.choice(v[: rng.randint(1, len(v))]) for v in values) for _ in range(size)]

    _check(rows)


def _round_with_a_unique_tester(db_session, world):
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=True)
    rating = add_question(db_session, round_, QuestionKind.RATING, "Overall satisfaction")
    text = add_question(db_session, round_, QuestionKind.TEXT, "Improve what?")
    for n in range(7):
        bu, job, site, language = COMMON
        respond(db_session, round_, {rating: 4, text: f"fine {n}"}, business_unit=bu,
                job_family=job, site=site, language=language)  # fmt: skip
    bu, job, site, language = UNIQUE
    respond(db_session, round_, {rating: 1, text: "the unique one"}, business_unit=bu,
            job_family=job, site=site, language=language)  # fmt: skip
    return round_


def _assert_nobody_singled_out(rows: list[list[str]]) -> None:
    header, data = rows[0], rows[1:]
    assert header[1:5] == ["Business unit", "Job family", "Site", "Language"]
    assert len(data) == 8
    flat = " ".join(" ".join(row) for row in rows)
    for value in UNIQUE[:3]:
        assert value not in flat
    shown = Counter(tuple(row[1:5]) for row in data)
    assert min(shown.values()) >= 5, shown
    # The unique tester's answers are there, among rows that show nothing more of them.
    unique_row = next(row for row in data if "the unique one" in row)
    assert unique_row[1:5] == [HIDDEN] * 4


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_of_an_anonymous_round_singles_nobody_out(db_session, world, fmt) -> None:
    round_ = _round_with_a_unique_tester(db_session, world)

    with force_locale("en"):
        body, _mimetype, _name = exports.export_round(db_session, round_, "answers", fmt)

    if fmt == "csv":
        rows = _read_csv(body)
    else:
        rows = [[str(v) for v in row] for row in read_xlsx(body)]
    _assert_nobody_singled_out(rows)


def test_the_export_through_http_singles_nobody_out(client, login, db_session, world) -> None:
    round_ = _round_with_a_unique_tester(db_session, world)
    login(world.manager)

    response = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/export/answers.csv")

    assert response.status_code == 200
    rows = _read_csv(response.data)
    hidden = {"(hidden)", "(masqué)"}
    assert {row[1] for row in rows[1:]} <= hidden | {COMMON[0]}
    assert "Nice" not in response.data.decode("utf-8")
    assert min(Counter(tuple(row[1:5]) for row in rows[1:]).values()) >= 5


def test_a_named_round_keeps_every_attribute(db_session, world) -> None:
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release, anonymous=False)
    rating = add_question(db_session, round_, QuestionKind.RATING, "Overall satisfaction")
    bu, job, site, language = UNIQUE
    respond(db_session, round_, {rating: 1}, business_unit=bu, job_family=job, site=site,
            language=language)  # fmt: skip

    with force_locale("en"):
        table = exports.answers_table(db_session, round_)

    assert table.rows[0][4:8] == list(UNIQUE)
