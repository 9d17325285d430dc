"""The loop starts again: a brick whose learning figures fall under the academy's thresholds
(LearningSettings.min_*) proposes an improvement brick in the backlog, linked to the evidence.

The shortfalls are read from the outcomes already computed for a page (outcomes.brick_outcomes,
outcomes.objective_outcomes) and the release's last J+0 reaction: a fixed number of queries
whatever the number of bricks. A figure resting on fewer than INDICATIVE_UNDER learners (or
answers) is still shown under its threshold, marked indicative, but it does not propose an
improvement on its own: the beta rounds' results treat such figures as a hint, not as
evidence, and a brick rebuilt because 4 learners of 7 did not finish would start the loop on
noise. The improvement is created once: while it is not done (a done stage, or a released
release), the source brick leads to it instead of proposing another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.auth.models import User
from tracker.backlog.models import ActivityKind, Brick
from tracker.backlog.services import create_brick, record_activity
from tracker.errors import DomainError
from tracker.formatting import percent
from tracker.learning import evaluations
from tracker.learning.models import Evaluation, EvaluationKind, LearningSettings
from tracker.learning.outcomes import INDICATIVE_UNDER, BrickOutcome, ObjectiveOutcome
from tracker.releases.models import Release, ReleaseState

COMPLETION = "completion"
SATISFACTION = "satisfaction"
OBJECTIVE_SCORE = "objective_score"
OBJECTIVE_SURVEY = "objective_survey"


@dataclass(frozen=True)
class Reaction:
    """A release's J+0 satisfaction: the CSAT (0-100) of its last reaction evaluation."""

    csat: float
    answers: int


@dataclass(frozen=True)
class Shortfall:
    kind: str  # COMPLETION, SATISFACTION, OBJECTIVE_SCORE, OBJECTIVE_SURVEY
    value: float  # a percentage, 0-100
    threshold: int  # a percentage, 0-100
    count: int  # the learners (or answers) the value rests on
    objective: str = ""  # the objective's statement (OBJECTIVE_*)

    @property
    def indicative(self) -> bool:
        return self.count < INDICATIVE_UNDER


def has_thresholds(settings: LearningSettings) -> bool:
    return any(
        value is not None
        for value in (
            settings.min_completion_rate,
            settings.min_satisfaction,
            settings.min_objective_share,
        )
    )


def shortfalls_of(
    settings: LearningSettings,
    outcome: BrickOutcome | None,
    objectives: Sequence[ObjectiveOutcome],
    reaction: Reaction | None,
) -> list[Shortfall]:
    """The brick's figures under the academy's thresholds (a figure with no learner is none)."""
    found: list[Shortfall] = []
    minimum = settings.min_completion_rate
    if minimum is not None and outcome is not None and outcome.completion_rate is not None:
        value = outcome.completion_rate * 100
        if value < minimum:
            found.append(Shortfall(COMPLETION, value, minimum, outcome.enrolled))
    minimum = settings.min_satisfaction
    if minimum is not None and reaction is not None and reaction.csat < minimum:
        found.append(Shortfall(SATISFACTION, reaction.csat, minimum, reaction.answers))
    minimum = settings.min_objective_share
    if minimum is not None:
        for x in objectives:
            statement = x.objective.statement
            if x.share is not None and x.share * 100 < minimum:
                found.append(
                    Shortfall(OBJECTIVE_SCORE, x.share * 100, minimum, x.scored, statement)
                )
            if x.survey_share is not None and x.survey_share * 100 < minimum:
                found.append(
                    Shortfall(
                        OBJECTIVE_SURVEY, x.survey_share * 100, minimum, x.answered, statement
                    )
                )
    return found


def reactions(session: Session, release_ids: set[int]) -> dict[int, Reaction]:
    """Each release's J+0 satisfaction, from its last reaction evaluation with CSAT answers
    (four queries, whatever the number of releases)."""
    if not release_ids:
        return {}
    from_reaction = list(
        session.scalars(
            select(Evaluation)
            .where(
                Evaluation.release_id.in_(release_ids),
                Evaluation.kind == EvaluationKind.REACTION,
            )
            .order_by(Evaluation.created_at, Evaluation.id)
        )
    )
    results = evaluations.evaluation_results(session, from_reaction)
    found: dict[int, Reaction] = {}
    for evaluation in from_reaction:  # oldest first: the last one answered stays
        csat = results[evaluation.id].measure("csat")
        if csat is not None and csat.csat is not None:
            found[evaluation.release_id] = Reaction(csat.csat, csat.n)
    return found


def open_improvements(session: Session, sources: Sequence[Brick]) -> dict[int, Brick]:
    """For each source brick, its improvement brick not done yet (one query)."""
    ids = [brick.id for brick in sources]
    if not ids:
        return {}
    rows = session.scalars(
        select(Brick)
        .join(Stage, Stage.id == Brick.stage_id)
        .outerjoin(Release, Release.id == Brick.release_id)
        .where(
            Brick.improves_id.in_(ids),
            Stage.category != StageCategory.DONE,
            or_(Brick.release_id.is_(None), Release.state != ReleaseState.RELEASED),
        )
        .order_by(Brick.id)
    )
    found: dict[int, Brick] = {}
    for brick in rows:
        if brick.improves_id is not None:
            found.setdefault(brick.improves_id, brick)
    return found


@dataclass
class BrickShortfalls:
    shortfalls: list[Shortfall]
    improvement: Brick | None  # the open improvement brick, if one was proposed

    @property
    def proposes(self) -> bool:
        """At least one shortfall resting on enough learners."""
        return any(not s.indicative for s in self.shortfalls)


def brick_shortfalls(
    session: Session,
    settings: LearningSettings,
    bricks: Sequence[Brick],
    outcomes: dict[int, BrickOutcome],
    objectives: dict[int, list[ObjectiveOutcome]],
) -> dict[int, BrickShortfalls]:
    """Per brick, its shortfalls and its open improvement (none when the academy set no
    threshold: then no query at all; else at most five)."""
    if not bricks or not has_thresholds(settings):
        return {}
    on_release = {b.release_id for b in bricks if b.release_id is not None}
    reaction = reactions(session, on_release) if settings.min_satisfaction is not None else {}
    improvements = open_improvements(session, bricks)
    found: dict[int, BrickShortfalls] = {}
    for brick in bricks:
        listed = shortfalls_of(
            settings,
            outcomes.get(brick.id),
            objectives.get(brick.id, []),
            reaction.get(brick.release_id) if brick.release_id is not None else None,
        )
        if listed or brick.id in improvements:
            found[brick.id] = BrickShortfalls(listed, improvements.get(brick.id))
    return found


# -- The improvement brick --------------------------------------------------------------------


def _label(shortfall: Shortfall) -> str:
    if shortfall.kind == COMPLETION:
        return _("Completion rate")
    if shortfall.kind == SATISFACTION:
        return _("Satisfaction at J+0 (CSAT)")
    if shortfall.kind == OBJECTIVE_SCORE:
        return _(
            "Objective “%(objective)s”: learners who reached the score",
            objective=shortfall.objective,
        )
    return _("Objective “%(objective)s”: yes to the survey", objective=shortfall.objective)


def _escaped(text: str) -> str:
    """Text for a Markdown link's label."""
    return "".join(f"\\{c}" if c in "\\[]*_`<>" else c for c in text)


def improvement_description(
    source: Brick, shortfalls: Sequence[Shortfall], *, brick_url: str, release_url: str
) -> str:
    """The evidence, in Markdown: the figures under the thresholds, links to the source brick
    and its release."""
    lines = [
        _(
            "Improvement of [%(key)s %(title)s](%(url)s): its learning figures fall under the "
            "academy's thresholds.",
            key=source.key,
            title=_escaped(source.title),
            url=brick_url,
        )
    ]
    if source.release is not None and release_url:
        lines.append(
            _(
                "Release: [%(name)s](%(url)s).",
                name=_escaped(source.release.name),
                url=release_url,
            )
        )
    lines.append("")
    for s in shortfalls:
        counted = (
            ngettext("%(num)s answer", "%(num)s answers", s.count)
            if s.kind in (SATISFACTION, OBJECTIVE_SURVEY)
            else ngettext("%(num)s learner", "%(num)s learners", s.count)
        )
        line = _(
            "%(figure)s: %(value)s, threshold %(threshold)s (%(counted)s)",
            figure=_label(s),
            value=percent(s.value),
            threshold=percent(s.threshold),
            counted=counted,
        )
        if s.indicative:
            line += " " + _("(indicative: fewer than 30)")
        lines.append(f"- {line}")
    return "\n".join(lines) + "\n"


def propose_improvement(
    session: Session,
    academy: Academy,
    source: Brick,
    shortfalls: Sequence[Shortfall],
    *,
    actor: User | None,
    brick_url: str,
    release_url: str,
    now: dt.datetime,
) -> tuple[Brick, bool]:
    """The source brick's improvement brick: the open one if there is one (False), else a new
    one at the bottom of the backlog, recorded in both bricks' histories (True).

    The source brick's row is locked first, so that two requests at once make one brick: the
    second waits, then finds the first's."""
    session.execute(select(Brick.id).where(Brick.id == source.id).with_for_update())
    existing = open_improvements(session, [source]).get(source.id)
    if existing is not None:
        return existing, False
    if not any(not s.indicative for s in shortfalls):
        raise DomainError(
            _(
                "No figure of this brick falls under the academy's thresholds on 30 learners "
                "or more."
            )
        )
    title = _("Improve: %(title)s", title=source.title)[:200]
    brick = create_brick(
        session,
        academy,
        actor=actor,
        title=title,
        format=source.format,
        description=improvement_description(
            source, shortfalls, brick_url=brick_url, release_url=release_url
        ),
        improves=source,
        now=now,
    )
    record_activity(
        session, brick, ActivityKind.IMPROVEMENT, actor=actor,
        changes={"improves": [None, source.key]}, at=now,
    )  # fmt: skip
    record_activity(
        session, source, ActivityKind.IMPROVEMENT, actor=actor,
        changes={"improvement": [None, brick.key]}, at=now,
    )  # fmt: skip
    session.flush()
    return brick, True
