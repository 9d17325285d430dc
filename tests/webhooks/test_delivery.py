"""Events written with the change, sent by the worker to a real receiver on loopback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.server import ROOT, clean_environment
from tests.factories import SECRET, make_academy, make_brick, make_member
from tracker.academies.models import Role
from tracker.backlog.services import delete_brick, update_brick
from tracker.mail.models import MailMessage
from tracker.webhooks import sender, services
from tracker.webhooks.addresses import post
from tracker.webhooks.events import EVENT_TYPES, emit
from tracker.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
SETTINGS = sender.WebhookSettings(
    timeout=5, allow_private=True, base_url="http://brique.test", app_secret_key=SECRET
)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


def subscribe(session, academy, receiver, path="/hook", events=EVENT_TYPES):  # type: ignore[no-untyped-def]
    endpoint, secret = services.create_endpoint(
        session, academy, url=receiver.url(path), description="LMS", event_types=events,
        actor=None, allow_private=True, app_secret_key=SECRET, now=T0,
    )  # fmt: skip
    receiver.secrets[path] = secret
    return endpoint


# -- In the change's transaction ------------------------------------------------------------------


def test_no_endpoint_no_event(db_session, world):
    make_brick(db_session, world, "Quiet")
    assert db_session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_one_change_one_delivery_per_subscribed_endpoint(db_session, world, receiver):
    everything = subscribe(db_session, world.academy, receiver, "/a")
    only_deleted = subscribe(db_session, world.academy, receiver, "/b", events=["brick.deleted"])
    disabled = subscribe(db_session, world.academy, receiver, "/c")
    services.set_enabled(db_session, disabled, False)
    subscribe(db_session, world.other_academy, receiver, "/other")

    brick = make_brick(db_session, world, "Onboarding video", now=T0)
    update_brick(db_session, brick, actor=world.manager, expected_version=brick.version,
                 title="Onboarding video (v2)", now=T0)  # fmt: skip
    delete_brick(db_session, brick, actor=world.manager, now=T0)

    rows = db_session.execute(
        select(WebhookDelivery.endpoint_id, WebhookEvent.event_type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .order_by(WebhookDelivery.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        (everything.id, "brick.created"),
        (everything.id, "brick.updated"),
        (everything.id, "brick.deleted"),
        (only_deleted.id, "brick.deleted"),
    ]
    created = db_session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).first()
    assert created is not None and created.academy_id == world.academy.id
    assert '"title":"Onboarding video"' in created.body


def test_a_rolled_back_change_leaves_no_event(app, real_engine, receiver):
    factory = sessionmaker(bind=real_engine, expire_on_commit=False)
    with app.app_context(), factory() as session:
        academy = make_academy(session)
        subscribe(session, academy, receiver)
        session.commit()
        make_brick(session, academy, "Never saved")
        session.rollback()
        count = session.scalar(
            select(func.count(WebhookEvent.id)).where(WebhookEvent.academy_id == academy.id)
        )
    assert count == 0


# -- The sender ------------------------------------------------------------------------------------


@pytest.fixture
def committed(app: Flask, real_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit (senders run in their own sessions and threads)."""
    with app.app_context():
        yield sessionmaker(bind=real_engine, expire_on_commit=False)
    with real_engine.begin() as connection:
        connection.execute(delete(WebhookEndpoint))
        connection.execute(delete(WebhookEvent))
        connection.execute(delete(MailMessage))


def test_signed_deliveries_arrive_in_order_after_the_receiver_was_down(committed, receiver):
    clock = Clock()
    with committed() as session:
        academy = make_academy(session)
        endpoint = subscribe(session, academy, receiver)
        bricks = [make_brick(session, academy, f"Brick {n}", now=T0) for n in range(3)]
        session.commit()
        receiver.stop()  # down for a while

        report = sender.send_webhooks(session, SETTINGS, clock=clock, rng=lambda: 0.5)
        assert (report.delivered, report.retried) == (0, 1)  # the first, then the rest wait
        report = sender.send_webhooks(session, SETTINGS, clock=clock, rng=lambda: 0.5)
        assert report.endpoints == 0  # not due yet

        clock.advance(dt.timedelta(seconds=4))  # 5 s backoff, not reached
        assert sender.send_webhooks(session, SETTINGS, clock=clock).endpoints == 0
        receiver.start()
        clock.advance(dt.timedelta(seconds=2))
        report = sender.send_webhooks(session, SETTINGS, clock=clock)
        assert (report.delivered, report.retried) == (3, 0)

        events = session.scalars(
            select(WebhookEvent).where(WebhookEvent.academy_id == academy.id)
            .order_by(WebhookEvent.id)
        ).all()  # fmt: skip
        attempts = session.execute(
            select(WebhookDelivery.id, WebhookAttempt.status_code, WebhookAttempt.error)
            .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookAttempt.id)
        ).all()

    assert [r.valid for r in receiver.received] == [True, True, True]
    assert [r.json["data"]["brick"]["number"] for r in receiver.received] == [
        b.number for b in bricks
    ]
    assert [r.json["type"] for r in receiver.received] == ["brick.created"] * 3
    assert [r.headers["webhook-id"] for r in receiver.received] == [e.message_id for e in events]
    assert [r.body for r in receiver.received] == [e.body for e in events]
    assert receiver.received[0].headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
    first = attempts[0]
    assert first.status_code is None and "Connection" in first.error
    assert [a.status_code for a in attempts[1:]] == [200, 200, 200]
    assert attempts[1].id == first.id  # the same delivery, tried again


def test_two_workers_send_each_delivery_exactly_once_and_in_order(committed, receiver):
    receiver.delay = 0.003
    with committed() as session:
        academy = make_academy(session)
        endpoints = [subscribe(session, academy, receiver, f"/e{n}") for n in range(3)]
        for n in range(12):
            make_brick(session, academy, f"Brick {n}")
        session.commit()
    start = threading.Barrier(2)
    reports, errors = [], []

    def worker() -> None:
        try:
            with committed() as session:
                start.wait()
                for _ in range(5):  # a few passes, as the worker loop does
                    reports.append(sender.send_webhooks(session, SETTINGS, clock=sender_clock))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    from tracker.db import utcnow as sender_clock

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(receiver.received) == 36
    for endpoint in endpoints:
        path = endpoint.url.rsplit("/", 1)[1]
        got = [r for r in receiver.received if r.path == f"/{path}"]
        numbers = [r.json["data"]["brick"]["number"] for r in got]
        assert numbers == sorted(numbers) and len(set(numbers)) == 12
        assert all(r.valid for r in got)
    assert sum(r.delivered for r in reports) == 36
    with committed() as session:
        statuses = session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        ).all()
        leftover = session.scalar(
            select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.claim_token.is_not(None))
        )
    assert dict(statuses) == {DeliveryStatus.DELIVERED: 36}
    assert leftover == 0


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_managers_told(committed, receiver):
    receiver.status = 500
    clock = Clock()
    with committed() as session:
        academy = make_academy(session)
        manager = make_member(session, academy, Role.MANAGER)
        endpoint = subscribe(session, academy, receiver)
        make_brick(session, academy, "First")
        make_brick(session, academy, "Second")
        session.commit()
        waited = dt.timedelta()
        for _ in range(sender.MAX_ATTEMPTS):
            sender.send_webhooks(session, SETTINGS, clock=clock, rng=lambda: 1.0)
            clock.advance(dt.timedelta(hours=12))
            waited += dt.timedelta(hours=12)
        session.refresh(endpoint)
        deliveries = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id)
        ).all()  # fmt: skip
        mails = session.scalars(
            select(MailMessage).where(MailMessage.category == "webhook_disabled")
        ).all()

        assert not endpoint.enabled and "failed attempts" in endpoint.disabled_reason
        assert [d.status for d in deliveries] == [DeliveryStatus.FAILED, DeliveryStatus.PENDING]
        assert deliveries[0].attempts == sender.MAX_ATTEMPTS and deliveries[1].attempts == 0
        assert [m.to_address for m in mails] == [manager.email]
        assert endpoint.url in mails[0].body_text
        assert len(receiver.received) == sender.MAX_ATTEMPTS
        assert all(r.path == "/hook" and r.json["data"]["brick"]["title"] == "First"
                   for r in receiver.received)  # fmt: skip

        # Enabled again once the receiver works: the rest leaves; the failed one is sent again.
        receiver.status = 200
        services.set_enabled(session, endpoint, True)
        services.send_again(session, endpoint, deliveries[0].id, now=clock())
        session.commit()
        report = sender.send_webhooks(session, SETTINGS, clock=clock)
    assert report.delivered == 2
    titles = [r.json["data"]["brick"]["title"] for r in receiver.received[-2:]]
    assert titles == ["Second", "First"]
    assert receiver.received[-1].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]


def test_the_retry_schedule_spans_about_a_day():
    total = sum(sender.RETRY_DELAYS, dt.timedelta())
    assert dt.timedelta(hours=20) < total < dt.timedelta(hours=36)
    low, high = sender.retry_delay(3, lambda: 0.0), sender.retry_delay(3, lambda: 1.0)
    assert low < sender.RETRY_DELAYS[2] < high


def test_production_never_calls_loopback(committed, receiver):
    with committed() as session:
        academy = make_academy(session)
        endpoint = subscribe(session, academy, receiver)
        make_brick(session, academy, "Secret")
        # As if subscribed through a name that resolved elsewhere then, loopback now.
        endpoint.url = f"https://127.0.0.1:{receiver.port}/hook"
        session.commit()
        production = sender.WebhookSettings(timeout=2, allow_private=False, app_secret_key=SECRET)
        report = sender.send_webhooks(session, production, clock=Clock(), rng=lambda: 0.5)
        error = session.scalar(select(WebhookAttempt.error).order_by(WebhookAttempt.id.desc()))
    assert report.retried == 1 and receiver.received == []
    assert error == "not a public address"


def test_emit_refuses_an_unknown_event_type(db_session, world):
    with pytest.raises(ValueError):
        emit(db_session, world.academy.id, "brick.exploded", {}, T0)


def test_the_flask_command_sends_the_webhooks(committed, receiver, real_engine, tmp_path):
    """`flask --app app send-webhooks` as cron runs it, configured by the environment only."""
    with committed() as session:
        academy = make_academy(session)
        subscribe(session, academy, receiver)
        make_brick(session, academy, "From cron")
        session.commit()
    env = {
        **clean_environment(),
        "TRACKER_DATABASE_URL": real_engine.url.render_as_string(hide_password=False),
        "TRACKER_INSTANCE_PATH": str(tmp_path),
        "TRACKER_WEBHOOKS_ALLOW_PRIVATE": "1",
        "TRACKER_SECRET_KEY": SECRET,  # the key the secrets were sealed with
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "send-webhooks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "webhooks delivered: 1" in result.stdout
    assert [r.json["data"]["brick"]["title"] for r in receiver.received] == ["From cron"]
    assert receiver.received[0].valid


def test_one_endpoints_trouble_never_stops_the_others(committed, receiver):
    with committed() as session:
        academy = make_academy(session)
        subscribe(session, academy, receiver, "/broken")
        subscribe(session, academy, receiver, "/fine")
        make_brick(session, academy, "Both")
        session.commit()

        def poster(url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
            if url.endswith("/broken"):
                raise RuntimeError("a bug while sending")
            return post(url, *args, **kwargs)

        report = sender.send_webhooks(session, SETTINGS, clock=Clock(), poster=poster)
        claimed = session.scalar(
            select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.claim_token.is_not(None))
        )
    assert report.delivered == 1 and [r.path for r in receiver.received] == ["/fine"]
    assert claimed == 0  # the broken one was released, to be tried at the next pass


def test_the_delivery_log_forgets_what_finished_30_days_ago(committed, receiver):
    clock = Clock()
    with committed() as session:
        academy = make_academy(session)
        endpoint = subscribe(session, academy, receiver)
        make_brick(session, academy, "Old news", now=T0)
        session.commit()
        sender.send_webhooks(session, SETTINGS, clock=clock)
        services.set_enabled(session, endpoint, False)
        make_brick(session, academy, "Still pending", now=T0)  # not emitted: disabled
        services.set_enabled(session, endpoint, True)
        make_brick(session, academy, "Pending", now=T0)
        session.commit()
        receiver.status = 500
        sender.send_webhooks(session, SETTINGS, clock=clock)  # tried once, pending

        assert sender.prune(session, now=T0 + dt.timedelta(days=29)) == 0
        assert sender.prune(session, now=T0 + dt.timedelta(days=31)) == 1
        left = session.execute(
            select(WebhookDelivery.status, func.count(WebhookAttempt.id))
            .outerjoin(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .group_by(WebhookDelivery.status)
        ).all()
        events = session.scalars(
            select(WebhookEvent.body).where(WebhookEvent.academy_id == academy.id)
        ).all()
        orphans = session.scalar(
            select(func.count(WebhookAttempt.id)).where(
                ~select(WebhookDelivery.id)
                .where(WebhookDelivery.id == WebhookAttempt.delivery_id)
                .exists()
            )
        )
    assert [tuple(r) for r in left] == [(DeliveryStatus.PENDING, 1)]
    assert len(events) == 1 and "Pending" in events[0]
    assert orphans == 0


def test_emit_costs_no_query_in_an_academy_without_endpoints(db_session, world, queries):
    def payload() -> dict:  # type: ignore[type-arg]
        raise AssertionError("computed although nobody listens")

    assert world.academy.has_webhooks is False  # loaded in the session: nothing to look up
    with queries() as counter:
        assert emit(db_session, world.academy.id, "brick.created", payload, T0) is None
    assert counter.count == 0


def test_emit_costs_one_query_when_nobody_listens(db_session, world, receiver, queries):
    def payload() -> dict:  # type: ignore[type-arg]
        raise AssertionError("computed although nobody listens")

    subscribe(db_session, world.academy, receiver, "/d", events=["brick.deleted"])
    assert world.academy.has_webhooks is True
    with queries() as counter:
        assert emit(db_session, world.academy.id, "brick.created", payload, T0) is None
    assert counter.count == 1


def test_an_academy_has_webhooks_until_its_last_endpoint_is_deleted(db_session, world, receiver):
    first = subscribe(db_session, world.academy, receiver, "/e")
    second = subscribe(db_session, world.academy, receiver, "/f")
    services.set_enabled(db_session, second, False)

    services.delete_endpoint(db_session, first)
    kept = world.academy.has_webhooks  # a disabled endpoint left: still looked up
    services.delete_endpoint(db_session, second)

    assert kept is True
    assert world.academy.has_webhooks is False
    db_session.expire(world.academy)
    assert world.academy.has_webhooks is False  # as stored


def test_a_long_queue_is_sent_over_several_passes_in_order(committed, receiver):
    with committed() as session:
        academy = make_academy(session)
        subscribe(session, academy, receiver)
        for n in range(3):
            make_brick(session, academy, f"Queued {n}")
        session.commit()
        first = sender.send_webhooks(session, SETTINGS, clock=Clock(), per_endpoint=2)
        second = sender.send_webhooks(session, SETTINGS, clock=Clock(), per_endpoint=2)
    assert (first.delivered, second.delivered) == (2, 1)
    titles = [r.json["data"]["brick"]["title"] for r in receiver.received]
    assert titles == ["Queued 0", "Queued 1", "Queued 2"]


def test_secrets_are_sealed_and_a_changed_app_key_is_said_in_the_log(committed, receiver):
    with committed() as session:
        academy = make_academy(session)
        endpoint = subscribe(session, academy, receiver)
        make_brick(session, academy, "Sealed")
        session.commit()
        assert receiver.secrets["/hook"] not in endpoint.sealed_secret
        rotated = sender.WebhookSettings(allow_private=True, app_secret_key="a new app key")
        report = sender.send_webhooks(session, rotated, clock=Clock(), rng=lambda: 0.5)
        error = session.scalar(select(WebhookAttempt.error).order_by(WebhookAttempt.id.desc()))
    assert report.retried == 1 and receiver.received == []
    assert error == sender.UNREADABLE


def test_a_key_rotated_with_a_fallback_still_unseals_the_secrets(committed, receiver):
    with committed() as session:
        academy = make_academy(session)
        subscribe(session, academy, receiver)
        make_brick(session, academy, "Rotated")
        session.commit()
        rotated = sender.WebhookSettings(
            allow_private=True,
            app_secret_key="a new app key",
            secret_key_fallbacks=(SETTINGS.app_secret_key,),
        )
        report = sender.send_webhooks(session, rotated, clock=Clock(), rng=lambda: 0.5)
    assert report.delivered == 1
    assert [r.json["data"]["brick"]["title"] for r in receiver.received] == ["Rotated"]
