"""Release notes: a Markdown draft generated from the release, edited and published by a manager,
read by stakeholders and by the testers of that release, and e-mailed to the stakeholders.

The draft is written in the academy's language (French first), whoever generates it: notes are
the academy's words to its people. Generated text quotes what people typed (titles, objectives,
feedback items) with Markdown's punctuation escaped, and every page renders it through the
sanitizer (tracker.markdown), so nothing typed can become markup or script.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from tracker import rows
from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory
from tracker.auth.models import LOCALES, User
from tracker.backlog.labels import FORMAT_LABELS, format_duration
from tracker.backlog.models import Brick, LearningPath
from tracker.collation import sort_key
from tracker.errors import DomainError
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    ItemKind,
    ItemStatus,
    RoundInvitation,
)
from tracker.feedback.triage import bricks_by_id
from tracker.formatting import nested, percent, signed
from tracker.mail.services import queue_mail
from tracker.releases.models import Release, ReleaseEventKind, ReleaseNotes, ReleaseState
from tracker.releases.readiness import BetaFigures, last_beta_figures
from tracker.releases.services import clean_text, record_release_event, release_data
from tracker.sprints.services import done_condition
from tracker.webhooks.events import EventType, emit

MAX_BODY = 100_000
# A release's notes are published once it has a go decision.
PUBLISHABLE_STATES = (ReleaseState.APPROVED, ReleaseState.RELEASED)

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>|~#])")


def md_text(text: str | None) -> str:
    """Someone's text on one line, its Markdown punctuation escaped (shown as typed)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join((text or "").split()))


# -- Reading ----------------------------------------------------------------------------------


def get_notes(session: Session, release: Release) -> ReleaseNotes | None:
    return session.scalar(select(ReleaseNotes).where(ReleaseNotes.release_id == release.id))


def tested_release_ids(session: Session, academy: Academy, user: User) -> set[int]:
    """Releases with a round this person was invited to: the notes a tester may read."""
    return set(
        session.scalars(
            select(FeedbackRound.release_id)
            .join(RoundInvitation, RoundInvitation.round_id == FeedbackRound.id)
            .where(FeedbackRound.academy_id == academy.id, RoundInvitation.user_id == user.id)
            .distinct()
        )
    )


def readable_release_ids(
    session: Session, academy: Academy, user: User, role: Role | None
) -> set[int] | None:
    """The releases whose notes this member may read: None for all of them (everyone holding
    notes:read but testers), the releases they tested for testers."""
    if role == Role.TESTER:
        return tested_release_ids(session, academy, user)
    return None


def published_notes(
    session: Session, academy: Academy, *, release_ids: set[int] | None = None
) -> list[ReleaseNotes]:
    """Published notes, newest publication first, with their release: one query."""
    statement = (
        select(ReleaseNotes)
        .join(Release, Release.id == ReleaseNotes.release_id)
        .where(Release.academy_id == academy.id, ReleaseNotes.published_at.is_not(None))
        .options(joinedload(ReleaseNotes.release))
        .order_by(ReleaseNotes.published_at.desc(), ReleaseNotes.id.desc())
    )
    if release_ids is not None:
        if not release_ids:
            return []
        statement = statement.where(ReleaseNotes.release_id.in_(sorted(release_ids)))
    return list(session.scalars(statement))


# -- The generated draft ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActedOn:
    """A feedback item the team acted on: done, or turned into a brick that is done."""

    item: FeedbackItem
    brick: Brick | None  # the brick it was reported on
    created_brick: Brick | None  # the brick it became


def acted_on_items(session: Session, release: Release) -> list[ActedOn]:
    """Feedback of the release's rounds acted on, oldest first: two queries."""
    created = aliased(Brick)
    stage = aliased(Stage)
    rows = session.execute(
        select(FeedbackItem, created)
        .join(FeedbackRound, FeedbackRound.id == FeedbackItem.round_id)
        .outerjoin(created, created.id == FeedbackItem.created_brick_id)
        .outerjoin(stage, stage.id == created.stage_id)
        .where(
            FeedbackRound.release_id == release.id,
            FeedbackItem.kind != ItemKind.PRAISE,
            FeedbackItem.status.not_in((ItemStatus.DECLINED, ItemStatus.DUPLICATE)),
            or_(
                FeedbackItem.status == ItemStatus.DONE,
                and_(created.id.is_not(None), stage.category == StageCategory.DONE),
            ),
        )
        .order_by(FeedbackItem.id)
    ).all()
    anchors = bricks_by_id(
        session, {item.brick_id for item, _brick in rows if item.brick_id is not None}
    )
    return [
        ActedOn(item, anchors.get(item.brick_id) if item.brick_id else None, brick)
        for item, brick in rows
    ]


def _release_bricks(session: Session, release: Release, *, done: bool) -> list[Brick]:
    """The release's bricks in a done stage (delivered), or the others (`done=False`)."""
    finished = done_condition(release.academy_id)
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.release_id == release.id, finished if done else ~finished)
            .options(selectinload(Brick.objectives), selectinload(Brick.learning_path))
            .order_by(Brick.rank, Brick.id)
        )
    )


def _by_path(bricks: list[Brick]) -> list[tuple[LearningPath | None, list[Brick]]]:
    groups: dict[int | None, list[Brick]] = {}
    paths: dict[int, LearningPath] = {}
    for brick in bricks:
        groups.setdefault(brick.learning_path_id, []).append(brick)
        if brick.learning_path is not None:
            paths[brick.learning_path.id] = brick.learning_path
    ordered = sorted(paths.values(), key=lambda p: (p.position, sort_key(p.name), p.id))
    result: list[tuple[LearningPath | None, list[Brick]]] = [(p, groups[p.id]) for p in ordered]
    if None in groups:
        result.append((None, groups[None]))
    return result


def _brick_lines(brick: Brick) -> list[str]:
    facts = [str(FORMAT_LABELS.get(brick.format, brick.format.value))]
    if brick.learner_minutes:
        facts.append(format_duration(brick.learner_minutes))
    line = f"- **{md_text(brick.title)}** ({', '.join(facts)})"
    if brick.target_audience.strip():
        line += " — " + _("for: %(audience)s", audience=md_text(brick.target_audience))
    lines = [line]
    if brick.summary.strip():
        lines[0] += "\\"  # a hard line break (CommonMark): the summary goes on its own line
        lines.append(f"  {md_text(brick.summary)}")
    for objective in brick.objectives:
        lines.append("  - " + _("Objective: %(statement)s", statement=md_text(objective.statement)))
    return lines


def _figures_lines(figures: BetaFigures) -> list[str]:
    lines = [
        _(
            "The beta testers' panel evaluated this release in the round “%(title)s”.",
            title=nested(md_text(figures.round.title)),
        ),
        "",
    ]
    responses = figures.responses
    if responses is not None:
        rate = figures.response_rate
        lines.append(
            "- "
            + (
                ngettext(
                    "Responses: %(responses)s of %(num)s invited tester (response rate: %(rate)s)",
                    "Responses: %(responses)s of %(num)s invited testers (response rate: %(rate)s)",
                    figures.invited,
                    responses=responses,
                    rate=percent(rate),
                )
                if rate is not None
                else _("Responses: %(responses)s", responses=responses)
            )
        )
    if figures.csat is not None:
        lines.append("- " + _("Satisfaction (CSAT): %(value)s", value=percent(figures.csat)))
    if figures.nps is not None:
        lines.append("- " + _("Net Promoter Score (NPS): %(value)s", value=signed(figures.nps)))
    if figures.indicative:
        lines += ["", "*" + _("Indicative figures: fewer than 30 answers.") + "*"]
    return lines


def _acted_on_line(acted: ActedOn) -> str:
    what = md_text(acted.item.title)
    if acted.brick is not None:
        what = _("%(item)s (in “%(brick)s”)", item=what, brick=nested(md_text(acted.brick.title)))
    if acted.created_brick is not None and acted.created_brick.id != acted.item.brick_id:
        return "- " + _(
            "%(item)s: answered by “%(brick)s”.",
            item=what,
            brick=nested(md_text(acted.created_brick.title)),
        )
    return "- " + _("%(item)s: done.", item=what)


def generate_notes(session: Session, release: Release) -> str:
    """A draft of the notes, in the academy's language (five queries, whatever the size)."""
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    bricks = _release_bricks(session, release, done=True)
    unfinished = _release_bricks(session, release, done=False)
    figures = last_beta_figures(session, release)
    acted = acted_on_items(session, release)
    language = academy.default_locale if academy.default_locale in LOCALES else "fr"
    with force_locale(language):
        lines = [f"# {md_text(release.name)}", ""]
        if release.goal.strip():
            lines += [release.goal.strip(), ""]
        lines += ["## " + _("What is in this release"), ""]
        if not bricks:
            lines += [_("No brick of this release is done yet."), ""]
        for path, group in _by_path(bricks):
            title = md_text(path.name) if path else _("Other bricks")
            lines += [f"### {title}", ""]
            if path is not None and path.target_population.strip():
                lines += [
                    "*" + _("For: %(population)s", population=md_text(path.target_population))
                    + "*",
                    "",
                ]  # fmt: skip
            for brick in group:
                lines += _brick_lines(brick)
            lines.append("")
        if unfinished:
            # Only done bricks are delivered: the others are named, never listed as delivered.
            lines += ["## " + _("Not delivered yet"), ""]
            lines += [f"- {md_text(brick.title)}" for brick in unfinished]
            lines.append("")
        lines += ["## " + _("Beta results"), ""]
        if figures is None:
            lines += [_("This release has not been through a beta round."), ""]
        else:
            lines += [*_figures_lines(figures), ""]
        lines += ["## " + _("You told us, we changed it"), ""]
        if acted:
            lines += [_acted_on_line(a) for a in acted]
        else:
            lines.append(_("No feedback item needed a change this time."))
    return "\n".join(lines).rstrip() + "\n"


# -- Saving and publishing ------------------------------------------------------------------------


def _check_body(body: str) -> str:
    body = clean_text(body.replace("\r\n", "\n"))
    if len(body) > MAX_BODY:
        raise DomainError(
            ngettext("At most %(num)s character.", "At most %(num)s characters.", MAX_BODY),
            field="body",
        )
    return body


def _notes_row(session: Session, release: Release, now: dt.datetime) -> ReleaseNotes:
    """The release's notes row, created if missing (two first saves at once: one row)."""
    notes = get_notes(session, release)
    if notes is not None:
        return notes
    notes = ReleaseNotes(release_id=release.id, created_at=now, updated_at=now)
    return rows.add_once(session, notes, lambda: get_notes(session, release))


def save_notes_draft(
    session: Session, release: Release, *, body: str, actor: User | None, now: dt.datetime
) -> ReleaseNotes:
    """Keep the draft; readers still see the last published text, if any."""
    body = _check_body(body)
    notes = _notes_row(session, release, now)
    notes.body = body
    notes.updated_at = now
    notes.updated_by_id = actor.id if actor else None
    session.flush()
    return notes


@dataclass(frozen=True)
class Publication:
    notes: ReleaseNotes
    first: bool  # the first publication (the stakeholders were e-mailed)
    mailed: int


def publish_notes(
    session: Session,
    release: Release,
    *,
    body: str,
    actor: User | None,
    now: dt.datetime,
    base_url: str,
) -> Publication:
    """Publish `body` as the release's notes. The first publication queues an e-mail to each
    stakeholder of the academy, in their language; later ones update the page and the feed."""
    if release.state not in PUBLISHABLE_STATES:
        raise DomainError(
            _("Notes are published once the release has a go decision (approved or released).")
        )
    body = _check_body(body)
    if not body:
        raise DomainError(_("Write the notes before publishing them."), field="body")
    notes = _notes_row(session, release, now)
    notes.body = body
    notes.published_body = body
    notes.updated_at = now
    notes.updated_by_id = actor.id if actor else None
    notes.published_at = now
    notes.published_by_id = actor.id if actor else None
    session.flush()
    # Claimed by one publisher only: two first publications at once e-mail once.
    claimed = session.execute(
        update(ReleaseNotes)
        .where(ReleaseNotes.id == notes.id, ReleaseNotes.first_published_at.is_(None))
        .values(first_published_at=now)
        .execution_options(synchronize_session=False)
    )
    first = claimed.rowcount == 1  # type: ignore[attr-defined]
    session.refresh(notes)
    mailed = _mail_stakeholders(session, release, notes, base_url=base_url) if first else 0
    record_release_event(
        session,
        release,
        ReleaseEventKind.NOTES_PUBLISHED,
        actor=actor,
        changes={"first": first, "mailed": mailed},
        at=now,
    )
    session.flush()
    emit(
        session,
        release.academy_id,
        EventType.NOTES_PUBLISHED,
        lambda: {
            "academy_id": release.academy_id,
            "release": release_data(release),
            "notes": {"first": first, "published_at": now, "body": body},
        },
        now,
    )
    return Publication(notes, first, mailed)


def notes_path(academy: Academy, release: Release) -> str:
    """The notes page's path (views and e-mails build absolute links from BASE_URL)."""
    return f"/a/{academy.slug}/releases/{release.id}/notes"


def _mail_stakeholders(
    session: Session, release: Release, notes: ReleaseNotes, *, base_url: str
) -> int:
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    people = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.academy_id == academy.id,
            Membership.role == Role.STAKEHOLDER,
            User.is_active_account.is_(True),
        )
        .order_by(User.id)
    ).all()
    link = base_url.rstrip("/") + notes_path(academy, release)
    fallback = academy.default_locale if academy.default_locale in LOCALES else "fr"
    for person in people:
        with force_locale(person.locale if person.locale in LOCALES else fallback):
            queue_mail(
                session,
                to=person.email,
                template="mail/release_notes_published",
                context={
                    "academy": academy,
                    "release": release,
                    "notes": notes,
                    "name": person.display_name,
                    "link": link,
                },
                category="release_notes",
                academy_id=academy.id,
            )
    return len(people)
