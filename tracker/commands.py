"""Command-line operations: `flask --app app <command>`."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import Engine

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
    """Run the periodic jobs forever: close due feedback rounds, queue notification digests,
    send queued e-mail."""
    from tracker.mail.services import SmtpSettings, send_queued_mail
    from tracker.workspace.notifications import queue_digests

    smtp = SmtpSettings.from_config(current_app.config)
    click.echo(f"Worker started; a pass every {interval} s.")
    while True:
        try:
            closed = run_close_due_rounds()
            if closed:
                click.echo(f"rounds closed: {closed}")
            queue_digests(db.session, base_url=current_app.config["BASE_URL"], now=utcnow())
            db.session.commit()
            report = send_queued_mail(db.session, smtp, clock=utcnow)
            if report.sent or report.kept_in_outbox or report.failed or report.retried:
                click.echo(f"mail: {report}")
        except Exception as exc:
            db.session.rollback()
            current_app.logger.exception("worker pass failed: %s", exc)
        finally:
            db.session.close()
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
        close_due_rounds_command,
        send_reminders,
        send_notifications,
        worker,
    ):
        app.cli.add_command(command)
