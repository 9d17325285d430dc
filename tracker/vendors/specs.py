"""The specification (cahier des charges): generated in Markdown from one brick, a learning path
or a release (the bricks of the source assigned to the vendor), from the academy's template;
edited; each sent version kept (and e-mailed to the vendor's contacts through the mail queue);
acknowledged and answered by the vendor. Services flush, never commit, and take `now`."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker import rows
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.bloom import BLOOM_LABELS
from tracker.backlog.checklists import templates_by_format
from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.models import Brick, LearningPath
from tracker.errors import DomainError, Forbidden, NotFound
from tracker.feedback.models import FeedbackRound
from tracker.mail.services import queue_mail
from tracker.releases.models import Release
from tracker.vendors.labels import LMS_LABELS
from tracker.vendors.models import (
    SourceKind,
    Specification,
    SpecificationVersion,
    Vendor,
    VendorSettings,
    specification_brick,
)
from tracker.vendors.services import settings_of

# The placeholders a template may hold, each replaced by its generated section.
PLACEHOLDERS = (
    "title",
    "vendor",
    "context",
    "audience",
    "objectives",
    "format",
    "languages",
    "constraints",
    "definition_of_done",
    "beta",
    "milestones",
    "deliverables",
    "answer",
)


def default_template() -> str:
    """The built-in template (in the current locale)."""
    return "\n\n".join(
        [
            "# {{title}}",
            _("Vendor: %(vendor)s", vendor="{{vendor}}"),
            "## " + _("1. Context"),
            "{{context}}",
            "## " + _("2. Audience"),
            "{{audience}}",
            "## " + _("3. Learning objectives"),
            "{{objectives}}",
            "## " + _("4. Format and learner duration"),
            "{{format}}",
            "## " + _("5. Languages"),
            "{{languages}}",
            "## " + _("6. Technical constraints"),
            "{{constraints}}",
            "## " + _("7. Definition of done"),
            "{{definition_of_done}}",
            "## " + _("8. Beta test and acceptance"),
            "{{beta}}",
            "## " + _("9. Milestones"),
            "{{milestones}}",
            "## " + _("10. Deliverables"),
            "{{deliverables}}",
            "## " + _("11. The vendor's answer"),
            "{{answer}}",
        ]
    )


def _line(text: str | None) -> str:
    """A value typed elsewhere, on one line (it may not open a heading or a list of its own)."""
    return " ".join((text or "").split())


def _bullets(items: Sequence[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _key(academy: Academy, brick: Brick) -> str:
    return f"{academy.key_prefix}-{brick.number}"


@dataclass
class Sections:
    values: dict[str, str]


def sections(
    session: Session,
    academy: Academy,
    vendor: Vendor,
    bricks: Sequence[Brick],
    title: str,
    settings: VendorSettings,
) -> dict[str, str]:
    """Each placeholder's Markdown, from what Brique knows of the bricks."""
    none = _("(none given)")
    needs = {need.id: need for brick in bricks for need in brick.needs}
    context = [
        _(
            "%(title)s (business unit: %(unit)s)",
            title=_line(need.title),
            unit=_line(need.business_unit),
        )
        for need in needs.values()
    ] + [f"{_key(academy, b)} {_line(b.title)}: {_line(b.summary)}" for b in bricks if b.summary]
    headcount = sum(need.headcount or 0 for need in needs.values())
    audiences = sorted({_line(b.target_audience) for b in bricks if b.target_audience})
    paths = sorted({_line(b.learning_path.target_population) for b in bricks if b.learning_path})
    audience = _bullets([*audiences, *(p for p in paths if p)], none)
    if headcount:
        audience += "\n\n" + _("Headcount (learners): %(num)s.", num=headcount)
    objectives = []
    for brick in bricks:
        for objective in brick.objectives:
            objectives.append(
                f"{_key(academy, brick)}: {_line(objective.statement)} "
                f"({BLOOM_LABELS[objective.bloom_level]})"
            )
    formats = [
        _(
            "%(key)s %(title)s: %(format)s, %(minutes)s min for the learner",
            key=_key(academy, b),
            title=_line(b.title),
            format=FORMAT_LABELS[b.format],
            minutes=b.learner_minutes if b.learner_minutes is not None else "?",
        )
        for b in bricks
    ]
    total = sum(b.learner_minutes or 0 for b in bricks)
    languages = sorted({b.language for b in bricks if b.language})
    constraints = _bullets(
        [
            _("LMS standard: %(standard)s", standard=LMS_LABELS[settings.lms_standard]),
            _("Accessibility: %(target)s", target=_line(settings.accessibility_target)),
            _("Devices: %(devices)s", devices=_line(settings.devices) or none),
        ],
        none,
    )
    templates = templates_by_format(session, academy)
    done_lines: list[str] = []
    for fmt in sorted({b.format for b in bricks}, key=list(FORMAT_LABELS).index):
        items = [_line(item.label) for item in templates[fmt]]
        done_lines.append(f"**{FORMAT_LABELS[fmt]}**\n\n" + _bullets(items, none))
    release_ids = {b.release_id for b in bricks if b.release_id is not None}
    rounds = list(
        session.scalars(
            select(FeedbackRound)
            .where(FeedbackRound.release_id.in_(release_ids))
            .order_by(FeedbackRound.id.desc())
        )
    )
    gate = rounds[0] if rounds else academy
    beta = _bullets(
        [
            *([_("Round: %(title)s", title=_line(rounds[0].title))] if rounds else []),
            _("Responses: at least %(num)s", num=gate.gate_min_responses),
            _("Response rate at least %(rate)s %%", rate=gate.gate_min_response_rate),
            _("CSAT at least %(csat)s %%", csat=gate.gate_min_csat),
            _("NPS at least %(nps)s", nps=gate.gate_min_nps),
            _("Blocking issues at most %(num)s", num=gate.gate_max_blocking),
        ],
        none,
    )
    sprints = {b.sprint.id: b.sprint for b in bricks if b.sprint is not None}
    milestones = [
        _(
            "%(name)s: from %(start)s to %(end)s",
            name=_line(s.name),
            start=format_date(s.start_date) if s.start_date else "?",
            end=format_date(s.end_date) if s.end_date else "?",
        )
        for s in sorted(sprints.values(), key=lambda s: (s.start_date or dt.date.max, s.id))
    ]
    releases = {b.release.id: b.release for b in bricks if b.release is not None}
    milestones += [
        _(
            "Release %(name)s: %(date)s",
            name=_line(r.name),
            date=format_date(r.target_date) if r.target_date else "?",
        )
        for r in releases.values()
    ]
    deliverables = [
        _(
            "%(key)s %(title)s: sources, the package for the LMS, the learner's version",
            key=_key(academy, b),
            title=_line(b.title),
        )
        for b in bricks
    ]
    answer = _bullets(
        [
            _("Your understanding of the need, questions"),
            _("Method and team"),
            _("Schedule against the milestones"),
            _("Quote: amount, currency, days, validity (post it in Brique)"),
        ],
        none,
    )
    return {
        "title": _line(title),
        "vendor": _line(vendor.name),
        "context": _bullets(context, none),
        "audience": audience,
        "objectives": _bullets(objectives, none),
        "format": _bullets(formats, none)
        + "\n\n"
        + _("Total learner time: %(minutes)s min.", minutes=total),
        "languages": _bullets([code.upper() for code in languages], none),
        "constraints": constraints,
        "definition_of_done": "\n\n".join(done_lines) or none,
        "beta": beta,
        "milestones": _bullets(milestones, none),
        "deliverables": _bullets(deliverables, none),
        "answer": answer,
    }


def fill(template: str, values: dict[str, str]) -> str:
    """The template with each {{placeholder}} replaced (unknown ones are left as typed)."""
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def source_bricks(
    session: Session, academy: Academy, vendor: Vendor, kind: SourceKind, source_id: int
) -> tuple[str, list[Brick]]:
    """(the source's name, its bricks assigned to the vendor, in backlog order)."""
    if kind == SourceKind.BRICK:
        brick = rows.get_in(session, Brick, source_id, _("No such brick."), academy_id=academy.id)
        name, condition = brick.title, Brick.id == brick.id
    elif kind == SourceKind.PATH:
        path = rows.get_in(
            session, LearningPath, source_id, _("No such learning path."), academy_id=academy.id
        )
        name, condition = path.name, Brick.learning_path_id == path.id
    else:
        release = rows.get_in(
            session, Release, source_id, _("No such release."), academy_id=academy.id
        )
        name, condition = release.name, Brick.release_id == release.id
    bricks = list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.vendor_id == vendor.id, condition)
            .options(
                selectinload(Brick.objectives),
                selectinload(Brick.needs),
                selectinload(Brick.sprint),
                selectinload(Brick.release),
                selectinload(Brick.learning_path),
            )
            .order_by(Brick.rank, Brick.id)
        )
    )
    if not bricks:
        raise DomainError(
            _("None of its bricks is assigned to this vendor: assign them first."), field="source"
        )
    return name, bricks


def create_specification(
    session: Session,
    academy: Academy,
    vendor: Vendor,
    *,
    kind: SourceKind,
    source_id: int,
    now: dt.datetime,
) -> Specification:
    """A new draft generated from the source, in the academy's language."""
    if vendor.archived_at is not None:
        raise DomainError(_("This vendor is archived."))
    with force_locale(academy.default_locale):
        name, bricks = source_bricks(session, academy, vendor, kind, source_id)
        title = _("Specification: %(name)s", name=_line(name))[:200]
        settings = settings_of(session, academy)
        body = fill(
            settings.template or default_template(),
            sections(session, academy, vendor, bricks, title, settings),
        )
    spec = Specification(
        academy_id=academy.id,
        vendor_id=vendor.id,
        title=title,
        source_kind=kind,
        source_id=source_id,
        body=body,
        created_at=now,
        updated_at=now,
        answer="",
    )
    session.add(spec)
    session.flush()
    session.execute(
        specification_brick.insert(),
        [{"specification_id": spec.id, "brick_id": b.id} for b in bricks],
    )
    return spec


def spec_bricks(session: Session, spec: Specification) -> list[Brick]:
    return list(
        session.scalars(
            select(Brick)
            .join(specification_brick, specification_brick.c.brick_id == Brick.id)
            .where(specification_brick.c.specification_id == spec.id)
            .order_by(Brick.rank, Brick.id)
        )
    )


def get_specification(session: Session, academy: Academy, spec_id: int) -> Specification:
    return rows.get_in(
        session, Specification, spec_id, _("No such specification."), academy_id=academy.id
    )


def get_vendor_specification(
    session: Session, academy: Academy, spec_id: int, vendor_id: int | None
) -> Specification:
    """A specification as its vendor's member reads it: one that was sent to their vendor."""
    spec = get_specification(session, academy, spec_id)
    if vendor_id is None or spec.vendor_id != vendor_id or not spec.versions:
        raise NotFound(_("No such specification."))
    return spec


def list_specifications(
    session: Session, academy: Academy, *, vendor_id: int | None = None, sent_only: bool = False
) -> list[Specification]:
    query = (
        select(Specification)
        .where(Specification.academy_id == academy.id)
        .options(selectinload(Specification.vendor), selectinload(Specification.versions))
        .order_by(Specification.created_at.desc(), Specification.id.desc())
    )
    if vendor_id is not None:
        query = query.where(Specification.vendor_id == vendor_id)
    specs = list(session.scalars(query))
    return [s for s in specs if s.versions] if sent_only else specs


def edit_specification(
    session: Session, spec: Specification, *, title: str, body: str, now: dt.datetime
) -> None:
    title = _line(title)[:200]
    if not title:
        raise DomainError(_("Give a title."), field="title")
    spec.title = title
    spec.body = body or ""
    spec.updated_at = now
    session.flush()


def send_specification(
    session: Session,
    academy: Academy,
    spec: Specification,
    *,
    actor: User,
    base_url: str,
    now: dt.datetime,
) -> SpecificationVersion:
    """Keep the draft as the next version and e-mail its contacts (the mail queue)."""
    vendor = spec.vendor
    if not vendor.contacts:
        raise DomainError(_("The vendor has no contact to send it to."))
    if spec.versions and spec.versions[-1].body == spec.body:
        raise DomainError(_("Nothing changed since the last version sent."))
    version = SpecificationVersion(
        specification_id=spec.id,
        number=(spec.versions[-1].number + 1) if spec.versions else 1,
        body=spec.body,
        sent_at=now,
        sent_by_id=actor.id,
    )
    spec.versions.append(version)
    session.flush()
    link = f"{base_url}/a/{academy.slug}/vendor/specifications/{spec.id}"
    with force_locale(academy.default_locale):
        for contact in vendor.contacts:
            queue_mail(
                session,
                to=contact.email,
                template="mail/specification_sent",
                category="specification",
                academy_id=academy.id,
                context={
                    "academy": academy,
                    "spec": spec,
                    "version": version,
                    "actor": actor,
                    "link": link,
                },
            )
    return version


def acknowledge(session: Session, spec: Specification, user: User, *, now: dt.datetime) -> None:
    """The vendor confirms they received the last version sent."""
    if not spec.versions:
        raise Forbidden(_("This specification was not sent yet."))
    spec.acknowledged_version = spec.versions[-1].number
    spec.acknowledged_at = now
    spec.acknowledged_by_id = user.id
    session.flush()


def answer(session: Session, spec: Specification, text: str, *, now: dt.datetime) -> None:
    if not (text or "").strip():
        raise DomainError(_("Write your answer."), field="answer")
    spec.answer = text
    spec.answered_at = now
    session.flush()


def version_diff(
    spec: Specification, number: int
) -> tuple[SpecificationVersion, list[tuple[str, str]]]:
    """A sent version and its differences with the one before (or with nothing), line by line:
    (" " kept, "+" added, "-" removed, text)."""
    by_number = {v.number: v for v in spec.versions}
    version = by_number.get(number)
    if version is None:
        raise NotFound(_("No such version."))
    before = by_number.get(number - 1)
    lines: list[tuple[str, str]] = []
    for line in difflib.ndiff(
        (before.body if before else "").splitlines(), version.body.splitlines()
    ):
        mark, text = line[:1], line[2:]
        if mark in (" ", "+", "-"):
            lines.append((mark, text))
    return version, lines
