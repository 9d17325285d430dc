"""Evaluations after a release: a J+0 reaction survey (Kirkpatrick level 1) and J+30 / J+90
transfer surveys (level 3), answered through a public link per evaluation (the learning
platforms rarely export e-mails, and learners are pseudonymous here).

Built on the beta rounds' questionnaire scales and figures (tracker/feedback/metrics.py: CSAT of
the 1-5 ratings, NPS with its margin, share of yes, "indicative" under 30 answers) and on their
anonymity rules: an answer names nobody (no account, no link per person, no address), carries
no time (the evaluation's opening day only), and the answers of one form share a random key
that identifies nothing; free texts are shown in alphabetical order. The reaction is shown beside
the release's last beta round (its CSAT and NPS, the same scales).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role
from tracker.backlog.models import Brick
from tracker.errors import DomainError, NotFound
from tracker.feedback import metrics
from tracker.learning.labels import EVALUATION_KIND_LABELS
from tracker.learning.models import (
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    EvaluationLink,
    EvaluationQuestion,
    EvaluationQuestionKind,
    FactPhase,
    LearnerFact,
    LearnerIdentity,
    LearningSettings,
)
from tracker.mail.services import LINK_TOKEN, queue_mail
from tracker.releases.models import Release, ReleaseState
from tracker.rows import get_in
from tracker.tokens import hash_token, new_token
from tracker.workspace.models import Notification, NotificationKind

K = EvaluationQuestionKind
TEXT_LENGTH = 2000
OPEN_DAYS = 14  # how long an evaluation takes answers by default
MAX_OPEN_DAYS = 120  # the latest closing date a manager may set, from today


def closing_moment(day: dt.date) -> dt.datetime:
    """An evaluation closing on `day` takes answers until that day's end (UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def closing_day(evaluation: Evaluation) -> dt.date:
    """The last day it takes answers."""
    return (evaluation.closes_at - dt.timedelta(microseconds=1)).date()


def check_closing_day(day: dt.date, now: dt.datetime) -> None:
    """A closing date a manager sets: after today, and at most MAX_OPEN_DAYS ahead."""
    if day <= now.date():
        raise DomainError(_("The closing date must be after today."), field="closes_on")
    if day > now.date() + dt.timedelta(days=MAX_OPEN_DAYS):
        raise DomainError(
            ngettext(
                "The closing date must be within %(num)s day.",
                "The closing date must be within %(num)s days.",
                MAX_OPEN_DAYS,
            ),
            field="closes_on",
        )


# The questions of each kind. The English source string is stored as the question's prompt (its
# stable key) and translated when shown, in the language of whoever reads it (translated_prompt):
# one survey serves French and English learners alike. A prompt it does not know is shown as is.
QUESTIONS: dict[EvaluationKind, tuple[tuple[K, str, str], ...]] = {
    EvaluationKind.REACTION: (
        (K.RATING, "csat", "How satisfied are you with this training?"),
        (K.RATING, "useful", "How useful is it for your work?"),
        (K.NPS, "nps", "How likely are you to recommend it to a colleague?"),
        (K.YES_NO, "intention", "Do you intend to apply what you learned?"),
        (K.TEXT, "", "What would you change?"),
    ),
    EvaluationKind.TRANSFER_30: (
        (K.YES_NO, "applied", "Have you applied what you learned in your work?"),
        (K.RATING, "frequency", "How often do you use it?"),
        (K.TEXT, "", "An example of when you used it:"),
    ),
    EvaluationKind.TRANSFER_90: (
        (K.YES_NO, "applied", "Have you applied what you learned in your work?"),
        (K.RATING, "frequency", "How often do you use it?"),
        (K.TEXT, "", "An example of when you used it:"),
    ),
}


def translated_prompt(prompt: str) -> str:
    """A stored prompt in the current language (a custom prompt as it was written)."""
    return {
        "How satisfied are you with this training?": _("How satisfied are you with this training?"),
        "How useful is it for your work?": _("How useful is it for your work?"),
        "How likely are you to recommend it to a colleague?": _(
            "How likely are you to recommend it to a colleague?"
        ),
        "Do you intend to apply what you learned?": _("Do you intend to apply what you learned?"),
        "What would you change?": _("What would you change?"),
        "Have you applied what you learned in your work?": _(
            "Have you applied what you learned in your work?"
        ),
        "How often do you use it?": _("How often do you use it?"),
        "An example of when you used it:": _("An example of when you used it:"),
    }.get(prompt, prompt)


class EvaluationExists(DomainError):
    """The release has an evaluation of this kind already (one of each kind per release)."""

    def __init__(self, kind: EvaluationKind) -> None:
        super().__init__(
            _("This release already has its evaluation “%(kind)s”: there is one of each kind"
              " per release.", kind=EVALUATION_KIND_LABELS[kind]),
            field="kind",
        )  # fmt: skip


def create_evaluation(
    session: Session,
    academy: Academy,
    release: Release,
    kind: EvaluationKind,
    *,
    now: dt.datetime,
    open_days: int = OPEN_DAYS,
    closes_on: dt.date | None = None,
) -> tuple[Evaluation, str]:
    """The evaluation and its public link's token (shown once; only its hash is kept). It
    closes `open_days` from now, or at the end of `closes_on` (a manager's choice: checked).

    One of each kind per release: EvaluationExists when the release has it already, also when
    another transaction (a manager, the worker) created it at the same moment (the unique
    constraint refuses the second; the savepoint keeps the caller's transaction usable)."""
    if release.academy_id != academy.id:
        raise NotFound(_("This release does not exist."))
    if closes_on is not None:
        check_closing_day(closes_on, now)
    exists = select(Evaluation.id).where(
        Evaluation.release_id == release.id, Evaluation.kind == kind
    )
    if session.scalar(exists) is not None:
        raise EvaluationExists(kind)
    token = new_token()
    evaluation = Evaluation(
        academy_id=academy.id,
        release_id=release.id,
        kind=kind,
        link_hash=hash_token(token),
        opens_on=now.date(),
        closes_at=now + dt.timedelta(days=open_days)
        if closes_on is None
        else closing_moment(closes_on),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(evaluation)
            session.flush()
    except IntegrityError:
        raise EvaluationExists(kind) from None
    session.add_all(
        EvaluationQuestion(evaluation_id=evaluation.id, position=i, kind=question_kind,
                           prompt=prompt, measure=measure)
        for i, (question_kind, measure, prompt) in enumerate(QUESTIONS[kind])
    )  # fmt: skip
    session.flush()
    return evaluation, token


def set_closing(
    session: Session, evaluation: Evaluation, *, closes_on: dt.date | None, now: dt.datetime
) -> None:
    """A manager moves the closing date (to the end of `closes_on`: checked; it may reopen a
    closed evaluation), or closes it now (`closes_on` None)."""
    if closes_on is None:
        evaluation.closes_at = min(evaluation.closes_at, now)
    else:
        check_closing_day(closes_on, now)
        evaluation.closes_at = closing_moment(closes_on)
    session.flush()


def get_evaluation(session: Session, academy: Academy, evaluation_id: int) -> Evaluation:
    return get_in(
        session, Evaluation, evaluation_id, _("This evaluation does not exist."),
        academy_id=academy.id,
    )  # fmt: skip


@dataclass
class LinkTarget:
    """What a link opens: its evaluation, and the EvaluationLink it is (None: the evaluation's
    own public link)."""

    evaluation: Evaluation
    link: EvaluationLink | None = None

    @property
    def single_use(self) -> bool:
        return self.link is not None and self.link.single_use

    @property
    def used(self) -> bool:
        return self.single_use and self.link is not None and self.link.used


def resolve_link(session: Session, token: str) -> LinkTarget | None:
    """The evaluation of its public link, or of a link an e-mail (or a manager) asked for."""
    if not token or len(token) > 100:
        return None
    digest = hash_token(token)
    found = session.scalar(select(Evaluation).where(Evaluation.link_hash == digest))
    if found is not None:
        return LinkTarget(found)
    link = session.scalar(select(EvaluationLink).where(EvaluationLink.token_hash == digest))
    if link is None:
        return None
    evaluation = session.get(Evaluation, link.evaluation_id)
    return LinkTarget(evaluation, link) if evaluation is not None else None


def find_by_link(session: Session, token: str) -> Evaluation | None:
    """The evaluation of its public link, or of a link an e-mail carried."""
    target = resolve_link(session, token)
    return target.evaluation if target is not None else None


LINK_KIND = "evaluation"


def issue_for_mail(
    session: Session, evaluation_id: int, now: dt.datetime, *, single_use: bool = True
) -> str | None:
    """A new link for one e-mail as it leaves (its hash stored; it takes one form of answers),
    or None once closed. `single_use` False: one more public link, for a manager to share."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or now >= evaluation.closes_at:
        return None
    token = new_token()
    session.add(EvaluationLink(evaluation_id=evaluation.id, token_hash=hash_token(token),
                               created_at=now, single_use=single_use))  # fmt: skip
    session.flush()
    return token


def send_to_completers(
    session: Session,
    academy: Academy,
    evaluation: Evaluation,
    *,
    base_url: str,
    now: dt.datetime,
    reminder: bool = False,
) -> int:
    """Queue the evaluation to the learners who completed a brick of its release and whose
    e-mail the named mode keeps. Each e-mail gets its own link when it leaves (the queue keeps
    only a placeholder). Refused in the default (pseudonymous) mode: no e-mail is kept, and
    once the evaluation is closed. A reminder goes to the same people: answers are anonymous,
    so Brique cannot tell who has answered (the reminder thanks those who did)."""
    if now >= evaluation.closes_at:
        raise DomainError(_("This evaluation is closed: answers are no longer accepted."))
    settings = session.scalar(
        select(LearningSettings).where(LearningSettings.academy_id == academy.id)
    )
    if settings is None or not settings.named_mode:
        raise DomainError(
            _("Brique keeps no learner's e-mail outside the named mode: give the public link.")
        )
    release = session.get(Release, evaluation.release_id)
    completers = (
        select(LearnerFact.learner_key)
        .join(Brick, Brick.id == LearnerFact.brick_id)
        .where(
            Brick.release_id == evaluation.release_id,
            LearnerFact.completed.is_(True),
            LearnerFact.phase == FactPhase.MAIN.value,  # a pre-assessment completes nothing
        )
        .distinct()
    )
    addresses = sorted(
        set(
            session.scalars(
                select(LearnerIdentity.email).where(
                    LearnerIdentity.academy_id == academy.id,
                    LearnerIdentity.email != "",
                    LearnerIdentity.learner_key.in_(completers),
                )
            )
        )
    )
    if reminder:
        evaluation.reminded_at = now
    else:
        evaluation.sent_at = now
    for address in addresses:
        queue_mail(
            session, to=address,
            template="mail/evaluation_reminder" if reminder else "mail/evaluation_invitation",
            context={"academy": academy, "release": release, "evaluation": evaluation,
                     "link": f"{base_url}/e/{LINK_TOKEN}"},
            category="evaluation", academy_id=academy.id,
            link_kind=LINK_KIND, link_ref=evaluation.id,
        )  # fmt: skip
    return len(addresses)


# -- Opened, reminded and closed by the worker -------------------------------------------------

# Each kind opens this many days after the release's release (its `released_at`).
SCHEDULE: dict[EvaluationKind, int] = {
    EvaluationKind.REACTION: 0,
    EvaluationKind.TRANSFER_30: 30,
    EvaluationKind.TRANSFER_90: 90,
}
REMIND_DAYS = 3  # the one reminder leaves this many days before the evaluation closes


def due_at(release: Release, kind: EvaluationKind) -> dt.datetime | None:
    """When the worker opens the release's evaluation of this kind (None: not released)."""
    if release.state != ReleaseState.RELEASED or release.released_at is None:
        return None
    return release.released_at + dt.timedelta(days=SCHEDULE[kind])


def remind_at(evaluation: Evaluation) -> dt.datetime:
    return evaluation.closes_at - dt.timedelta(days=REMIND_DAYS)


@dataclass
class Opened:
    evaluation: Evaluation
    queued: int  # e-mails queued (named mode), or managers told (pseudonymous mode)


def _tell_managers(session: Session, academy: Academy, evaluation: Evaluation,
                   release: Release, now: dt.datetime,
                   kind: NotificationKind = NotificationKind.EVALUATION) -> int:  # fmt: skip
    """Pseudonymous mode: no learner's e-mail to send it to, so the academy's managers hear
    that it is open (in the app and their digest) and share its public link; and, `kind`
    EVALUATION_CLOSING, that it closes soon (share the link again)."""
    managers = list(
        session.scalars(
            select(Membership.user_id).where(
                Membership.academy_id == academy.id, Membership.role == Role.MANAGER
            )
        )
    )
    if managers:
        session.execute(
            insert(Notification),
            [{"academy_id": academy.id, "user_id": user_id, "actor_id": None,
              "kind": kind, "title": release.name[:240],
              "release_id": release.id, "created_at": now, "emailed_at": None}
             for user_id in managers],
        )  # fmt: skip
    return len(managers)


def open_due_evaluations(session: Session, *, now: dt.datetime, base_url: str) -> list[Opened]:
    """Open every evaluation that is due: for each released release of an academy whose
    automatic evaluations are on, the J+0 reaction from its release, the J+30 and J+90
    transfers 30 and 90 days later, each once (the unique constraint refuses a second, made
    by hand or by another worker at the same moment). One whose answering time would already
    be over (the worker was off, or the release was released before this existed) is not
    opened late. Named mode: queued to the completers; else the managers are told.

    The caller commits; the mails are queued in the academy's default language."""
    settings = {row.academy_id: row for row in session.scalars(select(LearningSettings))}
    releases = session.scalars(
        select(Release)
        .where(
            Release.state == ReleaseState.RELEASED,
            Release.released_at.is_not(None),
            Release.released_at <= now,
            Release.released_at > now - dt.timedelta(days=max(SCHEDULE.values()) + OPEN_DAYS),
        )
        .order_by(Release.id)
    ).all()
    if not releases:
        return []
    existing = {
        (release_id, kind)
        for release_id, kind in session.execute(
            select(Evaluation.release_id, Evaluation.kind).where(
                Evaluation.release_id.in_([r.id for r in releases])
            )
        )
    }
    opened: list[Opened] = []
    for release in releases:
        found = settings.get(release.academy_id)
        if found is not None and not found.auto_evaluations:
            continue
        for kind in SCHEDULE:
            due = due_at(release, kind)
            if (release.id, kind) in existing or due is None:
                continue
            if not due <= now < due + dt.timedelta(days=OPEN_DAYS):
                continue
            academy = session.get(Academy, release.academy_id)
            if academy is None:
                continue
            with force_locale(academy.default_locale):
                try:
                    evaluation, _token = create_evaluation(session, academy, release, kind,
                                                           now=now)  # fmt: skip
                except EvaluationExists:
                    continue  # another worker (or a manager) was first
                if found is not None and found.named_mode:
                    queued = send_to_completers(session, academy, evaluation,
                                                base_url=base_url, now=now)  # fmt: skip
                else:
                    queued = _tell_managers(session, academy, evaluation, release, now)
            opened.append(Opened(evaluation, queued))
    session.flush()
    return opened


def send_due_reminders(session: Session, *, now: dt.datetime, base_url: str) -> list[Opened]:
    """The one reminder of each evaluation, REMIND_DAYS before it closes. Named mode: sent to
    its completers (once it was e-mailed). Default (pseudonymous) mode: the managers are told in
    the app to share its public link again. Claimed by an update (reminded_at still empty)
    before it is queued, so that two workers never send it twice. The caller commits."""
    due = session.scalars(
        select(Evaluation)
        .outerjoin(LearningSettings, LearningSettings.academy_id == Evaluation.academy_id)
        .where(
            LearningSettings.named_mode.is_not(True) | Evaluation.sent_at.is_not(None),
            Evaluation.reminded_at.is_(None),
            Evaluation.closes_at > now,
            Evaluation.closes_at <= now + dt.timedelta(days=REMIND_DAYS),
        )
        .order_by(Evaluation.id)
    ).all()
    reminded: list[Opened] = []
    for evaluation in due:
        claimed = session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation.id, Evaluation.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            continue
        academy = session.get(Academy, evaluation.academy_id)
        if academy is None:
            continue
        settings = session.scalar(
            select(LearningSettings).where(LearningSettings.academy_id == academy.id)
        )
        if settings is None or not settings.named_mode:
            release = session.get(Release, evaluation.release_id)
            if release is not None:
                count = _tell_managers(session, academy, evaluation, release, now,
                                       NotificationKind.EVALUATION_CLOSING)  # fmt: skip
                reminded.append(Opened(evaluation, count))
            continue
        with force_locale(academy.default_locale):
            count = send_to_completers(session, academy, evaluation, base_url=base_url,
                                       now=now, reminder=True)  # fmt: skip
        reminded.append(Opened(evaluation, count))
    session.flush()
    return reminded


class ScheduleState(enum.StrEnum):
    NOT_RELEASED = "not_released"  # no date yet
    SCHEDULED = "scheduled"  # opens at `due`
    MANUAL = "manual"  # automatic evaluations off and none made
    MISSED = "missed"  # its time passed before it was opened (never opened late)
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class ScheduleRow:
    kind: EvaluationKind
    state: ScheduleState
    due: dt.datetime | None
    evaluation: Evaluation | None


def release_schedule(session: Session, release: Release, *, now: dt.datetime) -> list[ScheduleRow]:
    """For the release page: each kind's evaluation, or when it will be opened."""
    made = {e.kind: e for e in release_evaluations(session, release)}
    settings = session.scalar(
        select(LearningSettings).where(LearningSettings.academy_id == release.academy_id)
    )
    automatic = settings is None or settings.auto_evaluations
    rows: list[ScheduleRow] = []
    for kind in SCHEDULE:
        due = due_at(release, kind)
        evaluation = made.get(kind)
        if evaluation is not None:
            state = ScheduleState.OPEN if now < evaluation.closes_at else ScheduleState.CLOSED
        elif due is None:
            state = ScheduleState.NOT_RELEASED
        elif not automatic:
            state = ScheduleState.MANUAL
        elif now >= due + dt.timedelta(days=OPEN_DAYS):
            state = ScheduleState.MISSED
        else:
            state = ScheduleState.SCHEDULED
        rows.append(ScheduleRow(kind, state, due, evaluation))
    return rows


def questions_of(session: Session, evaluation: Evaluation) -> list[EvaluationQuestion]:
    return list(
        session.scalars(
            select(EvaluationQuestion)
            .where(EvaluationQuestion.evaluation_id == evaluation.id)
            .order_by(EvaluationQuestion.position)
        )
    )


def release_evaluations(session: Session, release: Release) -> list[Evaluation]:
    return list(
        session.scalars(
            select(Evaluation)
            .where(Evaluation.release_id == release.id)
            .order_by(Evaluation.created_at, Evaluation.id)
        )
    )


class LinkUsed(DomainError):
    """The e-mailed link has taken its one form of answers already."""

    def __init__(self) -> None:
        super().__init__(_("You have already answered, thank you."))


class AnswerErrors(DomainError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some answers need your attention."))
        self.errors = errors


ALLOWED = {K.RATING: range(1, 6), K.NPS: range(0, 11), K.YES_NO: range(0, 2)}


def submit_answers(
    session: Session,
    evaluation: Evaluation,
    values: Mapping[str, str],
    *,
    now: dt.datetime,
    link: EvaluationLink | None = None,
) -> int:
    """Store one form's answers (every question but the free text required), under a random key
    that names nobody. Refused once the evaluation is closed. Returns the answers stored.

    Through a single-use (e-mailed) `link`: the link is marked used in the same transaction, by
    an update that only an unused link passes (two forms sent at the same moment: one wins, the
    other gets LinkUsed). The answers still record nothing of the link."""
    if now >= evaluation.closes_at:
        raise DomainError(_("This evaluation is closed: answers are no longer accepted."))
    rows: list[tuple[int, int | None, str | None]] = []
    errors: dict[str, str] = {}
    submission = secrets.token_hex(16)
    for question in questions_of(session, evaluation):
        raw = (values.get(f"q{question.id}") or "").strip()
        if question.kind == K.TEXT:
            if raw:
                rows.append((question.id, None, raw[:TEXT_LENGTH]))
            continue
        number = int(raw) if raw.isdigit() else None
        if number is None or number not in ALLOWED[question.kind]:
            errors[f"q{question.id}"] = _("Choose an answer.")
        else:
            rows.append((question.id, number, None))
    if errors:
        raise AnswerErrors(errors)
    if link is not None and link.single_use:
        claimed = session.execute(
            update(EvaluationLink)
            .where(EvaluationLink.id == link.id, EvaluationLink.used.is_(False))
            .values(used=True)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            raise LinkUsed()
    session.execute(
        insert(EvaluationAnswer),
        [
            {"evaluation_id": evaluation.id, "question_id": question_id,
             "submission": submission, "value_int": value_int, "value_text": value_text}
            for question_id, value_int, value_text in rows
        ],
    )  # fmt: skip
    session.flush()
    return len(rows)


# -- Results ---------------------------------------------------------------------------------------


@dataclass
class QuestionFigures:
    question: EvaluationQuestion
    counts: dict[int, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(self.counts.values()) if self.question.kind != K.TEXT else len(self.texts)

    @property
    def csat(self) -> float | None:
        return metrics.csat(self.counts) if self.question.kind == K.RATING else None

    @property
    def mean(self) -> float | None:
        return metrics.mean(self.counts) if self.question.kind == K.RATING else None

    @property
    def nps(self) -> metrics.Nps | None:
        return metrics.nps(self.counts) if self.question.kind == K.NPS else None

    @property
    def yes(self) -> float | None:
        return metrics.share_of_yes(self.counts) if self.question.kind == K.YES_NO else None


@dataclass
class EvaluationResults:
    evaluation: Evaluation
    respondents: int
    questions: list[QuestionFigures]

    @property
    def indicative(self) -> bool:
        return metrics.is_indicative(self.respondents)

    def measure(self, name: str) -> QuestionFigures | None:
        return next((q for q in self.questions if q.question.measure == name), None)


def evaluation_results(
    session: Session, evaluations: Sequence[Evaluation]
) -> dict[int, EvaluationResults]:
    """Each evaluation's figures (three queries for any number of evaluations and answers)."""
    ids = [evaluation.id for evaluation in evaluations]
    if not ids:
        return {}
    questions = list(
        session.scalars(
            select(EvaluationQuestion)
            .where(EvaluationQuestion.evaluation_id.in_(ids))
            .order_by(EvaluationQuestion.evaluation_id, EvaluationQuestion.position)
        )
    )
    figures = {q.id: QuestionFigures(q) for q in questions}
    for question_id, value, count in session.execute(
        select(EvaluationAnswer.question_id, EvaluationAnswer.value_int, func.count())
        .where(EvaluationAnswer.evaluation_id.in_(ids), EvaluationAnswer.value_int.is_not(None))
        .group_by(EvaluationAnswer.question_id, EvaluationAnswer.value_int)
    ):
        if value is not None:
            figures[question_id].counts[int(value)] = int(count)
    respondents = dict(
        session.execute(
            select(
                EvaluationAnswer.evaluation_id,
                func.count(func.distinct(EvaluationAnswer.submission)),
            )
            .where(EvaluationAnswer.evaluation_id.in_(ids))
            .group_by(EvaluationAnswer.evaluation_id)
        ).all()
    )
    grouped: dict[int, list[QuestionFigures]] = defaultdict(list)
    for question in questions:
        grouped[question.evaluation_id].append(figures[question.id])
    return {
        e.id: EvaluationResults(e, int(respondents.get(e.id, 0)), grouped[e.id])
        for e in evaluations
    }


def free_texts(session: Session, evaluation: Evaluation) -> dict[int, list[str]]:
    """The free-text answers per question, in alphabetical order (no order of answering)."""
    found: dict[int, list[str]] = defaultdict(list)
    for question_id, text in session.execute(
        select(EvaluationAnswer.question_id, EvaluationAnswer.value_text)
        .where(
            EvaluationAnswer.evaluation_id == evaluation.id,
            EvaluationAnswer.value_text.is_not(None),
        )
        .order_by(func.lower(EvaluationAnswer.value_text))
    ):
        found[question_id].append(text or "")
    return dict(found)
