"""Command-line operations: `flask --app app <command>`."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import Engine, select

from tracker import migrate
from tracker.db import db, utcnow


def _engine() -> Engine:
    return db.engine


@click.command("db-upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the database migrations (to the latest by default)."""
    migrate.upgrade(_engine(), revision)
    click.echo(f"Database migrated to {revision}.")


@click.command("db-downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ("base" for an empty database)."""
    migrate.downgrade(_engine(), revision)
    click.echo(f"Database migrated down to {revision}.")


@click.command("db-revision")
@click.option("-m", "--message", required=True, help="What the migration does (becomes the slug).")
def db_revision(message: str) -> None:
    """Generate a migration from the difference between the models and the database."""
    from alembic import command

    command.revision(migrate.alembic_config(_engine()), message=message, autogenerate=True)


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option(help="At least 12 characters.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create a site administrator (or make an existing account one)."""
    from tracker.auth.services import create_user, get_user_by_email, set_password
    from tracker.errors import DomainError

    session = db.session
    user = get_user_by_email(session, email)
    try:
        if user is None:
            user = create_user(
                session, email=email, display_name=name, password=password, is_admin=True
            )
        else:
            set_password(session, user, password, now=utcnow())
            user.is_admin = True
    except DomainError as error:
        raise click.ClickException(error.message) from error
    session.commit()
    click.echo(f"{user.email} is a site administrator.")


def _demo_password(instance_path: Path) -> str:
    """One random demo password per installation, kept in the instance folder."""
    path = instance_path / "demo-password"
    if path.exists():
        return path.read_text().strip()
    password = f"brique-{secrets.token_hex(5)}"
    instance_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


def run_seed_demo(app: Flask) -> None:
    from tracker.demo import seed_demo
    from tracker.mail.services import SmtpSettings, send_queued_mail

    migrate.upgrade(_engine())
    password = _demo_password(Path(app.instance_path))
    with force_locale("fr"):
        academy, people = seed_demo(db.session, password=password)
    db.session.commit()
    send_queued_mail(db.session, SmtpSettings.from_config(app.config), clock=utcnow)
    db.session.close()
    base = app.config["BASE_URL"]
    click.echo("")
    click.echo(f"Demo academy \u00ab {academy.name} \u00bb is ready.")
    click.echo(f"Log in at {base}/login with one of these accounts (password: {password}):")
    for person in people:
        role = person.role.value if person.role else "site admin"
        click.echo(f"  {role:<12} {person.email}")
    click.echo("")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Migrate, then create the demo academy and its people (idempotent); print the logins."""
    run_seed_demo(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Seed the demo academy and serve the app (development server) on HOST:PORT."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.config["BASE_URL"] = f"http://{host}:{port}"
    run_seed_demo(app)
    click.echo(f"Serving Brique on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, app, use_reloader=False, threaded=True)


@click.command("send-mail")
@click.option("--batch-size", default=100, show_default=True)
def send_mail(batch_size: int) -> None:
    """Send the queued e-mail (from cron, or let `flask worker` do it)."""
    from tracker.mail.services import SmtpSettings, send_queued_mail

    report = send_queued_mail(
        db.session,
        SmtpSettings.from_config(current_app.config),
        batch_size=batch_size,
        clock=utcnow,
    )
    click.echo(
        f"sent: {report.sent}, kept in outbox: {report.kept_in_outbox}, failed: {report.failed},"
        f" to retry: {report.retried}"
    )


@click.command("send-webhooks")
def send_webhooks_command() -> None:
    """Send the webhook deliveries that are due (from cron, or let `flask worker` do it)."""
    from tracker.webhooks.sender import WebhookSettings, prune, send_webhooks

    report = send_webhooks(
        db.session, WebhookSettings.from_config(current_app.config), clock=utcnow
    )
    pruned = prune(db.session, now=utcnow())
    click.echo(
        f"webhooks delivered: {report.delivered}, to retry: {report.retried},"
        f" failed: {report.failed}, forgotten (older than 30 days): {pruned}"
    )


def run_close_due_rounds() -> list[int]:
    """Close the rounds whose closing time has passed, one transaction per round (a round that
    fails is logged and retried at the next run; the others are closed)."""
    from tracker.db import utcnow
    from tracker.feedback.models import FeedbackRound
    from tracker.feedback.rounds import close_round, due_round_ids

    session = db.session
    closed: list[int] = []
    now = utcnow()
    round_ids = due_round_ids(session, now)
    session.commit()  # end the read transaction before the first write
    for round_id in round_ids:
        try:
            round_ = session.get(FeedbackRound, round_id)
            if round_ is not None and close_round(session, round_, now=now):
                closed.append(round_id)
            session.commit()
        except Exception:
            session.rollback()
            current_app.logger.exception("closing round %s failed", round_id)
    return closed


@click.command("close-due-rounds")
def close_due_rounds_command() -> None:
    """Close the rounds whose closing time has passed (safe from cron every minute)."""
    closed = run_close_due_rounds()
    which = f" ({', '.join(map(str, closed))})" if closed else ""
    click.echo(f"rounds closed: {len(closed)}{which}")


@click.command("send-reminders")
@click.option(
    "--max-per-invitation",
    default=3,
    show_default=True,
    help="Stop reminding a person after this many reminders in one round.",
)
def send_reminders(max_per_invitation: int) -> None:
    """Remind the testers who have not completed an open round (at most once a day each).

    The messages are queued; `send-mail` (or the worker) sends them.
    """
    from tracker.db import utcnow
    from tracker.feedback.invitations import send_due_reminders

    sent = send_due_reminders(
        db.session,
        base_url=current_app.config["BASE_URL"],
        now=utcnow(),
        max_reminders=max_per_invitation,
    )
    db.session.commit()
    click.echo(f"reminders queued: {sum(sent.values())} in {len(sent)} round(s)")


def run_pull_learning(*, slug: str = "", due_only: bool = False) -> list[str]:
    """Read the new statements of each academy's LRS (or only `slug`'s; with `due_only`, those
    not read for LEARNING_PULL_MINUTES), one transaction per page; one line per academy."""
    from tracker.academies.models import Academy
    from tracker.learning.services import due_academy_ids, pull_statements

    session = db.session
    config = current_app.config
    now = utcnow()
    if slug:
        ids = list(session.scalars(select(Academy.id).where(Academy.slug == slug)))
        if not ids:
            raise click.ClickException(f"No academy {slug!r}.")
    else:
        every = int(config["LEARNING_PULL_MINUTES"]) if due_only else 0
        ids = due_academy_ids(session, now=now, every_minutes=every)
    session.commit()  # end the read transaction before the first write
    lines: list[str] = []
    for academy_id in ids:
        academy = session.get(Academy, academy_id)
        if academy is None:
            continue
        try:
            report = pull_statements(
                session, academy, key=config["LEARNER_KEY"], now=now,
                timeout=float(config["LRS_TIMEOUT"]), checkpoint=session.commit,
                allow_private=bool(config["LRS_ALLOW_PRIVATE"]),
                app_secret_key=config["SECRET_KEY"],
                secret_key_fallbacks=tuple(config.get("SECRET_KEY_FALLBACKS") or ()),
            )  # fmt: skip
            session.commit()
        except Exception:
            session.rollback()
            current_app.logger.exception("reading the LRS of academy %s failed", academy_id)
            continue
        error = f", error: {report.errors[0]}" if report.errors else ""
        lines.append(
            f"{academy.slug}: {report.read} read, {report.stored} new, {report.known} known,"
            f" {report.skipped} skipped, {report.voided} voided{error}"
        )
    return lines


@click.command("pull-learning")
@click.option("--academy", "slug", default="", help="Only this academy (its slug).")
def pull_learning(slug: str) -> None:
    """Read the new xAPI statements from each academy's LRS (the worker does it on a schedule)."""
    lines = run_pull_learning(slug=slug)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no academy has an LRS")


@click.command("erase-learner-details")
def erase_learner_details() -> None:
    """Erase the learners' names and e-mails kept in named mode past their retention."""
    from tracker.learning.services import erase_expired_identities

    erased = erase_expired_identities(db.session, now=utcnow())
    db.session.commit()
    click.echo(f"learner identities erased: {erased}")


def run_open_evaluations() -> tuple[int, int]:
    """Open the evaluations that are due and send the due reminders (one transaction):
    (opened, reminded)."""
    from tracker.learning.evaluations import open_due_evaluations, send_due_reminders

    now = utcnow()
    base_url = str(current_app.config["BASE_URL"])
    opened = open_due_evaluations(db.session, now=now, base_url=base_url)
    reminded = send_due_reminders(db.session, now=now, base_url=base_url)
    db.session.commit()
    return len(opened), len(reminded)


@click.command("open-evaluations")
def open_evaluations() -> None:
    """Open the released releases' evaluations that are due (J+0, J+30, J+90) and send the
    due reminders (the worker does it at each pass)."""
    opened, reminded = run_open_evaluations()
    click.echo(f"evaluations opened: {opened}, reminded: {reminded}")


@click.command("send-notifications")
def send_notifications() -> None:
    """Queue the notification digests that are due (immediate ones, daily ones a day after the
    last); `send-mail` (or the worker, which also does this) sends them."""
    from tracker.workspace.notifications import queue_digests

    queued = queue_digests(db.session, base_url=current_app.config["BASE_URL"], now=utcnow())
    db.session.commit()
    click.echo(f"notification digests queued: {queued}")


@click.command("worker")
@click.option("--interval", default=10, show_default=True, help="Seconds between two passes.")
def worker(interval: int) -> None:
    """Run the periodic jobs forever: close due feedback rounds, read the LRSs that are due
    (every LEARNING_PULL_MINUTES), erase learners' names past their retention, open the
    evaluations after the releases and send their reminders, send webhooks,
    queue notification digests, send queued e-mail, purge expired parked uploads. A pass that
    fails (the database restarting...) is logged and the next one tries again."""
    from tracker.imports import purge_uploads
    from tracker.learning.services import erase_expired_identities
    from tracker.mail.services import SmtpSettings, send_queued_mail
    from tracker.ops.requests import emit
    from tracker.webhooks.sender import WebhookSettings, prune, send_webhooks
    from tracker.workspace.notifications import queue_digests

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    smtp = SmtpSettings.from_config(app.config)
    hooks = WebhookSettings.from_config(app.config)
    click.echo(f"Worker started; a pass every {interval} s.")
    passes = 0
    while True:
        passes += 1
        started = time.perf_counter()
        fields: dict[str, object] = {"pass": passes, "pid": os.getpid()}
        try:
            closed = run_close_due_rounds()
            if current_app.config["LEARNER_KEY"]:
                for line in run_pull_learning(due_only=True):
                    click.echo(f"learning: {line}")
            erase_expired_identities(db.session, now=utcnow())
            db.session.commit()
            # Before the digests and the mail: what it queues leaves in this pass.
            try:
                evaluations_opened, evaluations_reminded = run_open_evaluations()
            except Exception:  # logged; the mail and the other jobs still run
                db.session.rollback()
                current_app.logger.exception("opening the evaluations failed")
                evaluations_opened = evaluations_reminded = 0
            delivered = send_webhooks(db.session, hooks, clock=utcnow)
            if passes % max(1, 3600 // interval) == 1:  # hourly: the log keeps 30 days
                prune(db.session, now=utcnow())
            # After the webhooks: an endpoint disabled in this pass tells its managers now.
            queue_digests(db.session, base_url=current_app.config["BASE_URL"], now=utcnow())
            db.session.commit()
            report = send_queued_mail(db.session, smtp, clock=utcnow)
            purged = purge_uploads(db.session, now=utcnow())
            db.session.commit()
            fields |= {
                "ok": True,
                "rounds_closed": closed,
                "evaluations_opened": evaluations_opened,
                "evaluations_reminded": evaluations_reminded,
                "mail_sent": report.sent,
                "mail_outbox": report.kept_in_outbox,
                "mail_failed": report.failed,
                "mail_retried": report.retried,
                "uploads_purged": purged,
                "webhooks_delivered": delivered.delivered,
                "webhooks_retried": delivered.retried,
                "webhooks_failed": delivered.failed,
            }
        except Exception as exc:
            # The database may be away: logged, and the next pass tries on a new connection.
            fields |= {"ok": False, "error": type(exc).__name__}
            with contextlib.suppress(Exception):
                db.session.rollback()
        finally:
            with contextlib.suppress(Exception):
                db.session.close()
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        busy = fields.get("rounds_closed") or any(
            fields.get(key)
            for key in (
                "evaluations_opened", "evaluations_reminded",
                "mail_sent", "mail_outbox", "mail_failed", "mail_retried",
                "webhooks_delivered", "webhooks_retried", "webhooks_failed",
            )
        )  # fmt: skip
        if busy or not fields["ok"]:
            emit(app, "worker_pass", fields, logging.INFO if fields["ok"] else logging.WARNING)
        time.sleep(interval)


def init_app(app: Flask) -> None:
    for command in (
        db_upgrade,
        db_downgrade,
        db_revision,
        create_admin,
        seed_demo_command,
        demo,
        send_mail,
        send_webhooks_command,
        close_due_rounds_command,
        send_reminders,
        pull_learning,
        erase_learner_details,
        send_notifications,
        open_evaluations,
        worker,
    ):
        app.cli.add_command(command)
