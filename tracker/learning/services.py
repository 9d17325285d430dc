"""The rules of learning data: a brick's identifiers on the learning platforms, the academy's
LRS settings, the learners' pseudonyms, and pulling statements from the LRS.

Learners are pseudonymous: Brique keeps `learner_key(key, identifier)`, an HMAC-SHA256 of the
platform's learner identifier under the configured key (TRACKER_LEARNER_KEY, never in the
database), the business unit when the data gives one, and the facts the figures need; never a
name or an e-mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.backlog.models import Brick
from tracker.errors import DomainError
from tracker.learning import xapi
from tracker.learning.models import (
    PRE_KINDS,
    SAME_PLATFORM,
    SURVEY_EVIDENCE,
    ActivityKind,
    FactSource,
    LearnerFact,
    LearnerIdentity,
    LearningActivity,
    LearningSettings,
    LrsAuth,
    ObjectiveEvidence,
)
from tracker.mail.models import MailMessage, MailStatus
from tracker.webhooks import sealing
from tracker.webhooks.addresses import RefusedUrl, parse_url, resolve

IDENTIFIER_MAX = 500
IRIS_MAX = 20


class MissingKey(DomainError):
    """No TRACKER_LEARNER_KEY: no learner data may be stored."""


def learner_key(key: str, identifier: str) -> str:
    """The pseudonym of a learner: HMAC-SHA256(key, identifier) in hex (64 characters)."""
    if not key:
        raise MissingKey(
            _("Learning data needs a pseudonym key: set TRACKER_LEARNER_KEY on the server.")
        )
    return hmac.new(key.encode(), identifier.strip().encode(), hashlib.sha256).hexdigest()


# -- Settings -----------------------------------------------------------------------------------


def read_settings(session: Session, academy: Academy) -> LearningSettings:
    """The academy's learning settings to read, writing nothing: the stored row, or the
    defaults (a row not added to the session) when there is none yet."""
    found = session.scalar(
        select(LearningSettings).where(LearningSettings.academy_id == academy.id)
    )
    if found is not None:
        return found
    return LearningSettings(
        academy_id=academy.id, lrs_endpoint="", lrs_auth=LrsAuth.BASIC, lrs_username="",
        lrs_secret="", business_unit_extension="", cursor_stored="", pending_more="",
        pending_stored="", last_pull_error="", column_mapping={}, named_mode=False,
        retention_days=180, auto_evaluations=True,
    )  # fmt: skip


def get_settings(session: Session, academy: Academy) -> LearningSettings:
    """The academy's learning settings to change (made, empty, the first time)."""
    found = session.scalar(
        select(LearningSettings).where(LearningSettings.academy_id == academy.id)
    )
    if found is None:
        found = LearningSettings(academy_id=academy.id, column_mapping={})
        session.add(found)
        session.flush()
    return found


def update_lrs(
    session: Session,
    academy: Academy,
    *,
    endpoint: str,
    auth: LrsAuth,
    username: str,
    secret: str | None,
    business_unit_extension: str,
    now: dt.datetime,
    app_secret_key: str,
    allow_private: bool = False,
) -> LearningSettings:
    """Change the LRS connection. `secret` None keeps the one stored (the form never shows it);
    a secret is stored sealed with the app's secret key (seal_secret);
    a new endpoint starts the reading over from the beginning. The endpoint must be an https
    address whose host resolves only to public addresses (check_endpoint), unless
    `allow_private` (config LRS_ALLOW_PRIVATE)."""
    endpoint = endpoint.strip()
    if endpoint:
        check_endpoint(endpoint, allow_private=allow_private)
    settings = get_settings(session, academy)
    if endpoint != settings.lrs_endpoint:
        settings.cursor_stored = settings.pending_more = settings.pending_stored = ""
    settings.lrs_endpoint = endpoint
    settings.lrs_auth = auth
    settings.lrs_username = username.strip()
    if secret is not None:
        settings.lrs_secret = seal_secret(secret, app_secret_key)
    settings.business_unit_extension = business_unit_extension.strip()
    settings.updated_at = now
    session.flush()
    return settings


def check_endpoint(endpoint: str, *, allow_private: bool) -> None:
    """Refuse, naming the endpoint field, an LRS address Brique may not call (the webhooks'
    guard against server-side request forgery, tracker/webhooks/addresses.py): not https (http
    too when private addresses are allowed), credentials in it, or a host that does not resolve
    or resolves to a loopback, private, link-local, shared or reserved address. Each pull checks
    again (the name may resolve elsewhere later), redirects included."""
    try:
        parts = parse_url(endpoint, allow_private=allow_private)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not allow_private:
            resolve(parts.hostname or "", port, allow_private=False)
    except RefusedUrl as error:
        reason = str(error)
        if reason.startswith("host not found"):
            message = _("This host cannot be found: check the address.")
        elif reason == "not a public address":
            message = _(
                "This address is on a private, loopback or reserved network: Brique reads only "
                "an LRS on a public address."
            )
        elif reason == "only https URLs":
            message = _("The address must start with https://.")
        else:
            message = _(
                "This is not an address Brique can read: an https:// address with a host, "
                "without a user name or password in it."
            )
        raise DomainError(message, field="endpoint") from error


# -- A brick's identifiers -------------------------------------------------------------------------


@dataclass(frozen=True)
class BrickIdentifiers:
    course_id: str
    iris: list[str]
    # The brick's pre-assessment (the test taken before it), if it has one.
    pre_course_id: str = ""
    pre_iris: list[str] = field(default_factory=list)

    @property
    def has_pre(self) -> bool:
        return bool(self.pre_course_id or self.pre_iris)


def brick_identifiers(session: Session, brick: Brick) -> BrickIdentifiers:
    rows = session.execute(
        select(LearningActivity.kind, LearningActivity.identifier)
        .where(LearningActivity.brick_id == brick.id)
        .order_by(LearningActivity.id)
    ).all()

    def first(kind: ActivityKind) -> str:
        return next((ident for k, ident in rows if k == kind), "")

    return BrickIdentifiers(
        first(ActivityKind.LMS_COURSE),
        [ident for kind, ident in rows if kind == ActivityKind.XAPI_IRI],
        first(ActivityKind.LMS_PRE_COURSE),
        [ident for kind, ident in rows if kind == ActivityKind.XAPI_PRE_IRI],
    )


def split_iris(text: str) -> list[str]:
    """One IRI a line (blank lines and repeats dropped)."""
    seen: list[str] = []
    for line in text.splitlines():
        iri = line.strip()
        if iri and iri not in seen:
            seen.append(iri)
    return seen


# The form's field of each kind of identifier (the errors name it).
IDENTIFIER_FIELDS = {
    ActivityKind.LMS_COURSE: "course_id",
    ActivityKind.XAPI_IRI: "activity_iris",
    ActivityKind.LMS_PRE_COURSE: "pre_course_id",
    ActivityKind.XAPI_PRE_IRI: "pre_activity_iris",
}


def _check_iris(iris: Sequence[str], field_name: str) -> None:
    if len(iris) > IRIS_MAX:
        raise DomainError(
            ngettext("At most %(num)s activity IRI.", "At most %(num)s activity IRIs.", IRIS_MAX),
            field=field_name,
        )
    for iri in iris:
        if len(iri) > IDENTIFIER_MAX or ":" not in iri or any(c.isspace() for c in iri):
            raise DomainError(
                _("“%(iri)s” is not an IRI (for example https://lms.example.com/course/42).",
                  iri=iri[:80]),
                field=field_name,
            )  # fmt: skip


def set_brick_identifiers(
    session: Session,
    brick: Brick,
    *,
    course_id: str,
    iris: Sequence[str],
    pre_course_id: str = "",
    pre_iris: Sequence[str] = (),
) -> BrickIdentifiers:
    """Replace the brick's LMS course id and xAPI activity IRIs, and those of its
    pre-assessment. Each identifier belongs to one brick of the academy, as the brick's own or
    as its pre-assessment, never both (a fact must belong to one brick, in one phase)."""
    course_id, pre_course_id = course_id.strip(), pre_course_id.strip()
    for name, value in (("course_id", course_id), ("pre_course_id", pre_course_id)):
        if len(value) > IDENTIFIER_MAX:
            raise DomainError(_("This identifier is too long."), field=name)
    _check_iris(iris, "activity_iris")
    _check_iris(pre_iris, "pre_activity_iris")
    wanted = [(ActivityKind.LMS_COURSE, course_id)] if course_id else []
    wanted += [(ActivityKind.XAPI_IRI, iri) for iri in iris]
    wanted += [(ActivityKind.LMS_PRE_COURSE, pre_course_id)] if pre_course_id else []
    wanted += [(ActivityKind.XAPI_PRE_IRI, iri) for iri in pre_iris]
    own = {(k, i) for k, i in wanted if k not in PRE_KINDS}
    for kind, identifier in wanted:
        if kind in PRE_KINDS and (SAME_PLATFORM[kind], identifier) in own:
            raise DomainError(
                _("“%(identifier)s” is already this brick's own activity: its pre-assessment "
                  "needs its own identifier.", identifier=identifier[:80]),
                field=IDENTIFIER_FIELDS[kind],
            )  # fmt: skip
        other = session.scalar(
            select(Brick)
            .join(LearningActivity, LearningActivity.brick_id == Brick.id)
            .where(
                LearningActivity.academy_id == brick.academy_id,
                LearningActivity.kind.in_([kind, SAME_PLATFORM[kind]]),
                LearningActivity.identifier == identifier,
                LearningActivity.brick_id != brick.id,
            )
            .limit(1)
        )
        if other is not None:
            raise DomainError(
                _("“%(identifier)s” already belongs to the brick %(key)s.",
                  identifier=identifier[:80], key=other.key),
                field=IDENTIFIER_FIELDS[kind],
            )  # fmt: skip
    session.execute(delete(LearningActivity).where(LearningActivity.brick_id == brick.id))
    session.add_all(
        LearningActivity(academy_id=brick.academy_id, brick_id=brick.id, kind=k, identifier=i)
        for k, i in wanted
    )
    session.flush()
    return BrickIdentifiers(course_id, list(iris), pre_course_id, list(pre_iris))


def bricks_by_identifier(session: Session, academy: Academy, kind: ActivityKind) -> dict[str, int]:
    return dict(
        session.execute(
            select(LearningActivity.identifier, LearningActivity.brick_id).where(
                LearningActivity.academy_id == academy.id, LearningActivity.kind == kind
            )
        ).all()
    )


# -- Pulling statements from the LRS ---------------------------------------------------------------


@dataclass
class PullReport:
    pages: int = 0
    read: int = 0  # statements received
    stored: int = 0  # new facts
    known: int = 0  # statements already stored (a pull again adds nothing)
    skipped: int = 0  # not counted: unknown verb, no learner, no brick's activity
    voided: int = 0
    errors: list[str] = field(default_factory=list)
    unfinished: bool = False  # stopped at `max_pages`, more to read (the worker goes on)


# The LRS secret at rest: sealed as the webhooks' signing secrets (tracker/webhooks/sealing.py:
# Fernet under a key derived from the app's secret key), behind this prefix. A value without it
# is a secret stored in clear before sealing existed: still read, and sealed in its place at the
# next pull (the migration cannot seal: the app's secret key is not in the database).
SEALED_PREFIX = "sealed:"


def seal_secret(secret: str, app_secret_key: str) -> str:
    return SEALED_PREFIX + sealing.seal(secret, app_secret_key) if secret else ""


def unseal_secret(stored: str, app_secret_key: str, fallbacks: Sequence[str] = ()) -> str:
    """The LRS secret; sealing.SecretUnreadable when sealed under another key."""
    if not stored.startswith(SEALED_PREFIX):
        return stored  # stored in clear before sealing (or none)
    return sealing.unseal(stored.removeprefix(SEALED_PREFIX), app_secret_key, fallbacks)


def connection_of(
    settings: LearningSettings, *, timeout: float, secret: str, allow_private: bool = False
) -> xapi.LrsConnection:
    return xapi.LrsConnection(
        endpoint=settings.lrs_endpoint,
        auth=settings.lrs_auth.value,
        username=settings.lrs_username,
        secret=secret,
        timeout=timeout,
        allow_private=allow_private,
    )


def store_statements(
    session: Session,
    academy: Academy,
    statements: Iterable[dict[str, object]],
    *,
    key: str,
    bricks_by_iri: dict[str, int],
    business_unit_extension: str,
    report: PullReport,
    named: bool = False,
    now: dt.datetime | None = None,
    pre_by_iri: dict[str, int] | None = None,
) -> str:
    """Store the facts of one page of statements (idempotent on the statement id: one query for
    the ids already stored, one batch insert); return the greatest `stored` seen. Statements of
    a brick's pre-assessment (`pre_by_iri`) are stored with the phase "pre"."""
    latest = ""
    mapped: dict[str, xapi.MappedStatement] = {}
    voided: list[str] = []
    for statement in statements:
        report.read += 1
        stored = statement.get("stored")
        if isinstance(stored, str) and stored > latest:
            latest = stored
        voids = xapi.voided_id(statement)
        if voids:
            voided.append(voids)
            continue
        fact = xapi.map_statement(statement, bricks_by_iri, business_unit_extension, pre_by_iri)
        if fact is None:
            report.skipped += 1
        elif fact.statement_id in mapped:
            report.known += 1
        else:
            mapped[fact.statement_id] = fact
    if voided:
        result = session.execute(
            delete(LearnerFact).where(
                LearnerFact.academy_id == academy.id,
                LearnerFact.source == FactSource.XAPI,
                LearnerFact.source_id.in_(voided),
            )
        )
        report.voided += int(getattr(result, "rowcount", 0) or 0)
    if mapped:
        known = set(
            session.scalars(
                select(LearnerFact.source_id).where(
                    LearnerFact.academy_id == academy.id,
                    LearnerFact.source == FactSource.XAPI,
                    LearnerFact.source_id.in_(list(mapped)),
                )
            )
        )
        report.known += len(known)
        rows = [
            {
                "academy_id": academy.id,
                "brick_id": fact.brick_id,
                "source": FactSource.XAPI,
                "source_id": fact.statement_id,
                "learner_key": learner_key(key, fact.learner),
                "business_unit": fact.business_unit,
                "verb": fact.verb,
                "occurred_at": fact.occurred_at,
                "score": fact.score,
                "seconds": fact.seconds,
                "completed": fact.completed,
                "phase": fact.phase,
            }
            for fact in mapped.values()
            if fact.statement_id not in known
        ]
        if rows:
            session.execute(insert(LearnerFact), rows)
            report.stored += len(rows)
        if named and now is not None:
            record_identities(
                session, academy,
                {learner_key(key, fact.learner): (fact.learner_name, fact.learner_email)
                 for fact in mapped.values()},
                now=now,
            )  # fmt: skip
    session.flush()
    return latest


def pull_statements(
    session: Session,
    academy: Academy,
    *,
    key: str,
    now: dt.datetime,
    timeout: float = 30,
    until: str = "",
    checkpoint: Callable[[], None] = lambda: None,
    allow_private: bool = False,
    app_secret_key: str,
    secret_key_fallbacks: Sequence[str] = (),
    max_pages: int | None = None,
) -> PullReport:
    """Read the statements the LRS stored since the last complete pull, page by page, storing
    the facts of each page and where to go on from, then calling `checkpoint` (the caller
    commits there: a pull cut half-way goes on from its last page next time). A failure is
    recorded on the settings and in the report, not raised; so is an address the guard refuses
    (`allow_private`, config LRS_ALLOW_PRIVATE, lifts it: see tracker/learning/xapi.py).

    `max_pages`: stop after that many pages (the report says `unfinished`); the next pull, the
    worker's, goes on from where this one stopped."""
    learner_key(key, "")  # no key: refuse before reading anything
    settings = get_settings(session, academy)
    report = PullReport()
    if not settings.lrs_endpoint:
        report.errors.append(_("No LRS is set for this academy."))
        return report
    try:
        secret = unseal_secret(settings.lrs_secret, app_secret_key, secret_key_fallbacks)
    except sealing.SecretUnreadable:
        message = _("The LRS secret was sealed with another secret key: enter it again.")
        settings.last_pull_error = message[:500]
        settings.last_pull_at = now
        report.errors.append(message)
        session.flush()
        return report
    if secret and not settings.lrs_secret.startswith(SEALED_PREFIX):
        settings.lrs_secret = seal_secret(secret, app_secret_key)  # one stored in clear before
        session.flush()
    connection = connection_of(
        settings, timeout=timeout, secret=secret, allow_private=allow_private
    )
    bricks_by_iri = bricks_by_identifier(session, academy, ActivityKind.XAPI_IRI)
    pre_by_iri = bricks_by_identifier(session, academy, ActivityKind.XAPI_PRE_IRI)
    extension = settings.business_unit_extension
    pages = xapi.statement_pages(
        connection, since=settings.cursor_stored, until=until, more=settings.pending_more
    )
    try:
        for statements, more in pages:
            report.pages += 1
            latest = store_statements(
                session, academy, statements, key=key, bricks_by_iri=bricks_by_iri,
                business_unit_extension=extension, report=report,
                named=settings.named_mode, now=now, pre_by_iri=pre_by_iri,
            )  # fmt: skip
            settings.pending_stored = max(settings.pending_stored, latest)
            settings.pending_more = more[:2000]
            if not more:
                settings.cursor_stored = max(settings.cursor_stored, settings.pending_stored)
                settings.pending_stored = ""
            settings.last_pull_at = now
            settings.last_pull_error = ""
            session.flush()
            checkpoint()
            if more and max_pages is not None and report.pages >= max_pages:
                report.unfinished = True
                break
    except xapi.LrsError as error:
        if report.pages == 0 and settings.pending_more:
            settings.pending_more = ""  # the LRS forgot that link: next time, from the cursor
        message = str(error)[:500]
        settings.last_pull_error = message
        settings.last_pull_at = now
        report.errors.append(message)
        session.flush()
    return report


def due_academy_ids(session: Session, *, now: dt.datetime, every_minutes: int) -> list[int]:
    """Academies with an LRS whose last pull is older than `every_minutes` (or never), or was
    left unfinished (a "Read now" stopped at its page limit: the worker goes on at once)."""
    rows = session.execute(
        select(
            LearningSettings.academy_id,
            LearningSettings.last_pull_at,
            LearningSettings.pending_more,
            LearningSettings.last_pull_error,
        ).where(LearningSettings.lrs_endpoint != "")
    ).all()
    limit = now - dt.timedelta(minutes=every_minutes)
    return [
        academy_id
        for academy_id, last, more, error in rows
        if last is None or last <= limit or (more and not error)
    ]


# -- Objectives tied to evidence ---------------------------------------------------------------


def objective_evidence(session: Session, brick: Brick) -> dict[int, ObjectiveEvidence]:
    """Each objective's evidence, by objective id."""
    ids = [objective.id for objective in brick.objectives]
    if not ids:
        return {}
    return {
        row.objective_id: row
        for row in session.scalars(
            select(ObjectiveEvidence).where(ObjectiveEvidence.objective_id.in_(ids))
        )
    }


def objective_thresholds(session: Session, brick: Brick) -> dict[int, float]:
    """Each objective's score threshold (scaled 0..1), by objective id."""
    return {
        objective_id: row.min_score
        for objective_id, row in objective_evidence(session, brick).items()
        if row.min_score is not None
    }


def set_objective_thresholds(
    session: Session,
    brick: Brick,
    thresholds: dict[int, int | None],
    surveys: dict[int, str] | None = None,
) -> None:
    """Tie the brick's objectives to a score threshold (a percentage; None: none) and/or a
    survey question (a SURVEY_EVIDENCE key; "": none)."""
    surveys = surveys or {}
    mine = {objective.id for objective in brick.objectives}
    for objective_id in {*thresholds, *surveys}:
        if objective_id not in mine:
            raise DomainError(_("This objective is not one of the brick's."))
    for percent in thresholds.values():
        if percent is not None and not 0 <= percent <= 100:
            raise DomainError(_("A score threshold is a percentage between 0 and 100."))
    for survey in surveys.values():
        if survey and survey not in SURVEY_EVIDENCE:
            raise DomainError(_("Choose a question from the list."))
    ids = list({*thresholds, *surveys})
    session.execute(delete(ObjectiveEvidence).where(ObjectiveEvidence.objective_id.in_(ids)))
    for objective_id in ids:
        percent, survey = thresholds.get(objective_id), surveys.get(objective_id, "")
        if percent is not None or survey:
            session.add(
                ObjectiveEvidence(
                    objective_id=objective_id,
                    min_score=None if percent is None else percent / 100,
                    survey=survey,
                )
            )
    session.flush()


# -- Named mode: identities kept for the retention period, then erased -----------------------------

RETENTION_MAX_DAYS = 3650


def set_named_mode(
    session: Session, academy: Academy, *, named: bool, retention_days: int, now: dt.datetime
) -> LearningSettings:
    """Turn the named mode on or off; off erases every identity at once."""
    if not 1 <= retention_days <= RETENTION_MAX_DAYS:
        raise DomainError(
            ngettext(
                "The retention is between 1 and %(num)s day.",
                "The retention is between 1 and %(num)s days.",
                RETENTION_MAX_DAYS,
            ),
            field="retention_days",
        )
    settings = get_settings(session, academy)
    settings.named_mode = named
    settings.retention_days = retention_days
    settings.updated_at = now
    if not named:
        session.execute(delete(LearnerIdentity).where(LearnerIdentity.academy_id == academy.id))
        forget_evaluation_addresses(session, academy.id, withdraw_queued=True)
    session.flush()
    return settings


def set_auto_evaluations(
    session: Session, academy: Academy, *, auto: bool, now: dt.datetime
) -> LearningSettings:
    """Whether the worker opens the released releases' evaluations (on by default)."""
    settings = get_settings(session, academy)
    settings.auto_evaluations = auto
    settings.updated_at = now
    session.flush()
    return settings


THRESHOLD_FIELDS = ("min_completion_rate", "min_satisfaction", "min_objective_share")


def set_thresholds(
    session: Session, academy: Academy, *, now: dt.datetime, **thresholds: int | None
) -> LearningSettings:
    """The academy's thresholds, percentages from 0 to 100 (None: not checked)."""
    unknown = set(thresholds) - set(THRESHOLD_FIELDS)
    if unknown:
        raise TypeError(f"unknown thresholds: {sorted(unknown)}")
    for name, value in thresholds.items():
        if value is not None and not 0 <= value <= 100:
            raise DomainError(_("A threshold is a percentage from 0 to 100."), field=name)
    settings = get_settings(session, academy)
    for name, value in thresholds.items():
        setattr(settings, name, value)
    settings.updated_at = now
    session.flush()
    return settings


def record_identities(
    session: Session, academy: Academy, found: dict[str, tuple[str, str]], *, now: dt.datetime
) -> int:
    """Named mode: keep (name, e-mail) per pseudonym, those not known yet; one select, one
    batch insert. Returns how many were added."""
    found = {key: value for key, value in found.items() if any(value)}
    if not found:
        return 0
    known = set(
        session.scalars(
            select(LearnerIdentity.learner_key).where(
                LearnerIdentity.academy_id == academy.id,
                LearnerIdentity.learner_key.in_(list(found)),
            )
        )
    )
    rows = [
        {"academy_id": academy.id, "learner_key": key, "name": name[:200],
         "email": email[:320], "recorded_at": now}
        for key, (name, email) in found.items()
        if key not in known
    ]  # fmt: skip
    if rows:
        session.execute(insert(LearnerIdentity), rows)
    return len(rows)


# The evaluation e-mails (tracker/learning/evaluations.py) carry a learner's address in
# mail_message.to_address. Once a message has left the queue (sent, in the outbox, failed), its
# address is erased with the learner's identity: the message stays, to nobody.
EVALUATION_MAIL = "evaluation"
LEFT_THE_QUEUE = (MailStatus.SENT, MailStatus.OUTBOX, MailStatus.FAILED)
ERASED_ADDRESS = ""


def forget_evaluation_addresses(
    session: Session,
    academy_id: int,
    *,
    addresses: Iterable[str] | None = None,
    before: dt.datetime | None = None,
    withdraw_queued: bool = False,
) -> int:
    """Erase the learners' addresses from the academy's evaluation e-mails that have left the
    queue: those to `addresses`, those created before `before`, or (neither given) all of them.
    `withdraw_queued`: the evaluation e-mails still queued are withdrawn (the named mode is
    turned off: no address may stay). Returns how many messages were changed."""
    mine = (MailMessage.academy_id == academy_id, MailMessage.category == EVALUATION_MAIL)
    changed = 0
    if withdraw_queued:
        result = session.execute(
            delete(MailMessage)
            .where(*mine, MailMessage.status == MailStatus.QUEUED)
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    which = [*mine, MailMessage.status.in_(LEFT_THE_QUEUE), MailMessage.to_address != ""]
    if before is not None:
        which.append(MailMessage.created_at < before)
    batches: list[list[Any]] = [[]]
    if addresses is not None:
        wanted = sorted({a for a in addresses if a})
        batches = [[MailMessage.to_address.in_(wanted[i : i + 1000])]
                   for i in range(0, len(wanted), 1000)]  # fmt: skip
    for extra in batches:
        result = session.execute(
            update(MailMessage)
            .where(*which, *extra)
            .values(to_address=ERASED_ADDRESS)
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def erase_expired_identities(session: Session, *, now: dt.datetime) -> int:
    """Erase the identities older than their academy's retention (every academy), and their
    addresses from the evaluation e-mails sent to them (and from every evaluation e-mail older
    than the retention); the facts stay, pseudonymous. Returns how many identities were
    erased."""
    erased = 0
    for academy_id, days, named in session.execute(
        select(
            LearningSettings.academy_id,
            LearningSettings.retention_days,
            LearningSettings.named_mode,
        )
    ).all():
        cutoff = now - dt.timedelta(days=days)
        expired: list[Any] = [LearnerIdentity.academy_id == academy_id]
        if named:  # (turned off meanwhile: none may stay)
            expired.append(LearnerIdentity.recorded_at < cutoff)
        addresses = list(session.scalars(select(LearnerIdentity.email).where(*expired)))
        result = session.execute(delete(LearnerIdentity).where(*expired))
        erased += int(getattr(result, "rowcount", 0) or 0)
        forget_evaluation_addresses(session, academy_id, addresses=addresses)
        forget_evaluation_addresses(session, academy_id, before=None if not named else cutoff)
    session.flush()
    return erased
