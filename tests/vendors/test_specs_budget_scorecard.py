"""Specifications (generated, edited, sent, versioned, DOCX), quotes and the budget, the
scorecard with hand-computed values."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import (
    BASE_URL,
    add_item,
    add_question,
    add_round,
    make_brick,
    make_path,
    make_sprint,
    respond,
    stage_of,
)
from tracker.academies.models import StageCategory
from tracker.backlog.models import Activity, ActivityKind, BloomLevel, Brick, LearningObjective
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError
from tracker.feedback.models import QuestionKind, Severity
from tracker.history import record
from tracker.mail.models import MailMessage
from tracker.vendors import quotes, scorecard, services, specs
from tracker.vendors.docx_export import specification_docx
from tracker.vendors.models import QuoteStatus, SourceKind

HOSTILE = (
    "# Titre <script>alert(1)</script>\n\n"
    "<img src=x onerror=alert(2)> [lien](javascript:alert(3))\n\n"
    "- <iframe src=//evil></iframe>puce\x01\n"
)


def _path_of_two(db_session, world):
    path = make_path(db_session, world, "Cyber")
    bricks = [
        make_brick(db_session, world, title, format="video", learning_path_id=path.id)
        for title in ("Phishing", "Passwords")
    ]
    db_session.add(
        LearningObjective(
            brick_id=bricks[0].id, position=0, statement="Spot a phishing e-mail",
            bloom_level=BloomLevel.APPLY,
        )
    )  # fmt: skip
    services.assign_bricks(db_session, world.studio, world.academy, [b.number for b in bricks])
    services.add_contact(db_session, world.studio, name="Carla", email="carla@studio.example")
    return path, bricks


def _spec(db_session, world, path):
    with force_locale("en"):
        return specs.create_specification(
            db_session, world.academy, world.studio, kind=SourceKind.PATH, source_id=path.id,
            now=utcnow(),
        )  # fmt: skip


def test_a_paths_specification_holds_what_brique_knows(db_session, world):
    world.academy.default_locale = "en"
    path, bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    assert {b.id for b in specs.spec_bricks(db_session, spec)} == {b.id for b in bricks}
    assert "Spot a phishing e-mail (Apply)" in spec.body
    assert "SCORM 2004" in spec.body and "RGAA" in spec.body
    assert "Responses: at least 30" in spec.body  # the academy's gate, no round yet
    assert "## 7. Definition of done" in spec.body


def test_a_source_without_the_vendors_bricks_is_refused(db_session, world):
    path = make_path(db_session, world, "Empty")
    make_brick(db_session, world, "Not theirs", learning_path_id=path.id)
    with pytest.raises(DomainError):
        _spec(db_session, world, path)


def test_sending_keeps_each_version_mails_the_contacts_and_shows_differences(db_session, world):
    path, _bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    send = lambda: specs.send_specification(  # noqa: E731
        db_session, world.academy, spec, actor=world.manager, base_url=BASE_URL, now=utcnow()
    )
    with force_locale("en"):
        first = send()
        with pytest.raises(DomainError):
            send()  # nothing changed
        specs.edit_specification(
            db_session, spec, title=spec.title, body=spec.body + "\n\nNew line", now=utcnow()
        )
        second = send()
    assert (first.number, second.number) == (1, 2)
    assert first.body != second.body
    mails = db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == "carla@studio.example")
    ).all()
    assert len(mails) == 2
    _version, lines = specs.version_diff(spec, 2)
    assert ("+", "New line") in lines
    specs.acknowledge(db_session, spec, world.vendor, now=utcnow())
    assert spec.acknowledged_version == 2


def test_the_docx_holds_the_objectives_and_the_definition_of_done(db_session, world):
    world.academy.default_locale = "en"
    path, _bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    document = docx.Document(io.BytesIO(specification_docx(spec.title, spec.body)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Spot a phishing e-mail (Apply)" in text
    assert "Definition of done" in text
    assert "Subtitles" in text or "subtitles" in text.lower()  # the video format's checklist


def test_a_hostile_specification_is_plain_text_in_the_docx(db_session, world):
    document = docx.Document(io.BytesIO(specification_docx("T", HOSTILE)))
    text = "\n".join(p.text for p in document.paragraphs)
    # What was typed stays as typed, as text: no element, link or field comes out of it.
    assert "Titre <script>alert(1)</script>" in text and "puce" in text
    assert "\x01" not in text
    xml = document.element.xml
    assert "<script" not in xml and "<iframe" not in xml
    assert "w:hyperlink" not in xml and "w:fldSimple" not in xml and "w:instrText" not in xml


def test_a_hostile_specification_renders_inert_in_the_page(db_session, world, client, login):
    path, _bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    spec.body = HOSTILE
    db_session.commit()
    login(world.manager)
    for url in (f"/specifications/{spec.id}/", f"/specifications/{spec.id}/print"):
        page = client.get(f"/a/{world.academy.slug}{url}").get_data(as_text=True)
        assert "<script>alert" not in page and "<img" not in page
        assert "<iframe" not in page and 'href="javascript:' not in page


def test_a_vendor_reads_only_the_specifications_sent_to_their_vendor(
    db_session, world, client, login
):
    path, _bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    db_session.commit()
    login(world.vendor)
    url = f"/a/{world.academy.slug}/vendor/specifications/{spec.id}"
    assert client.get(url).status_code == 404  # a draft is not theirs to read
    with force_locale("en"):
        specs.send_specification(
            db_session, world.academy, spec, actor=world.manager, base_url=BASE_URL, now=utcnow()
        )
    db_session.commit()
    assert client.get(url).status_code == 200
    other = services.create_vendor(db_session, world.academy, name="Other", now=utcnow())
    spec.vendor_id = other.id
    db_session.commit()
    assert client.get(url).status_code == 404


def _sent_spec(db_session, world):
    path, bricks = _path_of_two(db_session, world)
    spec = _spec(db_session, world, path)
    with force_locale("en"):
        specs.send_specification(
            db_session, world.academy, spec, actor=world.manager, base_url=BASE_URL, now=utcnow()
        )
    return spec, bricks


def test_a_quote_is_decided_once_with_its_history(db_session, world):
    spec, _bricks = _sent_spec(db_session, world)
    quote = quotes.submit_quote(
        db_session, spec, amount=Decimal("1000.005"), currency="eur", days=12,
        valid_until=None, note="", actor=world.vendor, now=utcnow(),
    )  # fmt: skip
    assert (quote.amount, quote.currency) == (Decimal("1000.01"), "EUR")
    with pytest.raises(DomainError):
        quotes.decide(db_session, quote, accept=False, note=" ", actor=world.manager, now=utcnow())
    quotes.decide(db_session, quote, accept=True, note="", actor=world.manager, now=utcnow())
    with pytest.raises(Conflict):
        quotes.decide(db_session, quote, accept=False, note="no", actor=world.manager, now=utcnow())
    history = quotes.quote_history(db_session, quote)
    assert [e.status for e in history] == [QuoteStatus.ACCEPTED, QuoteStatus.PENDING]


def test_the_budget_shares_a_specifications_quote_and_costs_a_learner_hour(db_session, world):
    spec, bricks = _sent_spec(db_session, world)
    bricks[0].learner_minutes, bricks[1].learner_minutes = 30, 90
    quote = quotes.submit_quote(
        db_session, spec, amount=Decimal("1000"), currency="EUR", days=None, valid_until=None,
        note="", actor=world.vendor, now=utcnow(),
    )  # fmt: skip
    quotes.decide(db_session, quote, accept=True, note="", actor=world.manager, now=utcnow())
    quotes.set_planned(db_session, bricks[0], amount=Decimal("400"), currency="EUR")
    data = quotes.budget(db_session, world.academy)
    by_title = {brick.title: line for brick, line in data.bricks}
    assert by_title["Phishing"].actual == {"EUR": Decimal("500.00")}
    assert by_title["Phishing"].planned == {"EUR": Decimal("400.00")}
    # 1000 EUR over 2 hours of learner time.
    assert data.total.per_learner_hour() == {"EUR": Decimal("500.00")}
    assert [line.label for line in data.paths] == ["Cyber"]
    with force_locale("en"):
        rows = quotes.export_rows(world.academy, data)
    assert rows[0][0] == "Key" and len(rows) == 3


def test_the_budget_export_is_guarded_against_formulas(db_session, world, client, login):
    _spec, bricks = _sent_spec(db_session, world)
    bricks[0].title = '=HYPERLINK("http://evil")'
    quotes.set_planned(db_session, bricks[0], amount=Decimal("10"), currency="EUR")
    db_session.commit()
    login(world.manager)
    body = client.get(f"/a/{world.academy.slug}/budget/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def _history(db_session, world, brick, steps):
    """The brick's moves: [(day, stage)], then the brick is where the last one left it."""
    for day, stage in steps:
        record(
            db_session, Activity, actor=world.manager,
            at=dt.datetime(2026, 3, day, 10, tzinfo=dt.UTC), academy_id=world.academy.id,
            brick_id=brick.id, brick_number=brick.number, kind=ActivityKind.MOVED,
            stage_id=stage.id,
        )  # fmt: skip
    brick.stage_id = steps[-1][1].id


def test_the_scorecard_is_computed_from_history_and_results(db_session, world):
    active = stage_of(db_session, world, StageCategory.ACTIVE)
    review = stage_of(db_session, world, StageCategory.REVIEW)
    done = stage_of(db_session, world, StageCategory.DONE)
    sprint = make_sprint(db_session, world, end_date=dt.date(2026, 3, 13))
    a, b, c = (make_brick(db_session, world, t, sprint_id=sprint.id) for t in "ABC")
    for brick in (a, b, c):
        brick.vendor_id = world.studio.id
    # A: review -> back -> review -> back -> review -> done on the 10th (on time, 2 cycles).
    _history(db_session, world, a, [(2, active), (3, review), (4, active), (5, review),
                                    (6, active), (7, review), (10, done)])  # fmt: skip
    # B: done on the 20th, after the sprint's end (late, 0 cycles).
    _history(db_session, world, b, [(2, active), (3, review), (20, done)])
    # C: in review, not delivered (its cycle does not count).
    _history(db_session, world, c, [(2, review), (3, active), (4, review)])
    # Beta: ratings 5, 4, 2 on A and 3 on B -> CSAT 2 of 4 = 50 %; NPS 10, 9, 6 -> +33.3.
    round_ = add_round(db_session, world.academy)
    rating = add_question(db_session, round_, QuestionKind.RATING, per_brick=True)
    nps = add_question(db_session, round_, QuestionKind.NPS, per_brick=True)
    for values in ({a: 5, b: 3}, {a: 4}, {a: 2}):
        respond(db_session, round_, {rating: values})
    for value in (10, 9, 6):
        respond(db_session, round_, {nps: {a: value}})
    add_item(db_session, round_, severity=Severity.BLOCKING, brick=a)
    add_item(db_session, round_, severity=Severity.BLOCKING, brick=a)
    add_item(db_session, round_, severity=Severity.MINOR, brick=b)
    other = services.create_vendor(db_session, world.academy, name="Zeta", now=utcnow())
    db_session.flush()

    scores = {s.vendor.name: s for s in scorecard.scorecard(db_session, world.academy)}

    studio = scores["Studio Nord"]
    assert (studio.assigned, studio.delivered) == (3, 2)
    assert studio.on_time_rate == 50.0  # A on time, B late
    assert studio.review_cycles_per_brick == 1.0  # (2 + 0) / 2 delivered
    assert studio.csat == 50.0
    assert round(studio.nps or 0, 1) == 33.3
    assert studio.blocking_per_brick == 1.0  # 2 blocking over A and B, tested
    zeta = scores[other.name]
    assert (zeta.assigned, zeta.on_time_rate, zeta.csat) == (0, None, None)


def test_the_scorecard_page_asks_a_bounded_number_of_queries(
    db_session, world, client, login, queries
):
    login(world.manager)
    url = f"/a/{world.academy.slug}/vendors/scorecard"
    client.get(url)
    with queries() as few:
        assert client.get(url).status_code == 200
    for n in range(5):
        vendor = services.create_vendor(db_session, world.academy, name=f"V{n}", now=utcnow())
        for _ in range(3):
            make_brick(db_session, world, f"B{n}").vendor_id = vendor.id
    db_session.commit()
    client.get(url)  # the commit expired what the session held: reloaded once, not per vendor
    with queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "V4" in page
    assert many.count == few.count
    assert db_session.scalar(select(Brick.id).where(Brick.vendor_id.is_not(None))) is not None
