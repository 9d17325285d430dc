"""A round's questionnaire: the default questions a new round starts from, the rules every
question follows, adding, editing and ordering questions while the round is a draft, and the
order in which the form asks them (once, then for each brick of the release).

The default questions are data in the academy's language (like the default board stages), not
interface strings: the manager edits them, and testers read them as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from tracker import rows
from tracker.academies.models import Stage, StageCategory
from tracker.backlog.models import Brick
from tracker.cleaning import checked_line, one_line, one_of
from tracker.errors import DomainError
from tracker.feedback.models import FeedbackRound, GateMetric, Question, QuestionKind
from tracker.feedback.phases import require_draft

RATING_VALUES = tuple(range(1, 6))
NPS_VALUES = tuple(range(11))
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE)
# Which kind of question may feed which gate criterion.
GATE_METRIC_KIND = {
    GateMetric.CSAT: QuestionKind.RATING,
    GateMetric.NPS: QuestionKind.NPS,
    GateMetric.INTENTION: QuestionKind.YES_NO,
}
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 200
TEXT_ANSWER_LENGTH = 10_000


@dataclass(frozen=True)
class DefaultQuestion:
    kind: QuestionKind
    prompt: str
    required: bool = False
    help_text: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)
    gate_metric: GateMetric | None = None
    per_brick: bool = False


DEFAULT_QUESTIONS: dict[str, tuple[DefaultQuestion, ...]] = {
    "fr": (
        DefaultQuestion(
            QuestionKind.RATING,
            "Dans l'ensemble, êtes-vous satisfait(e) de cet incrément ?",
            required=True,
            help_text="1 : pas du tout satisfait(e) · 5 : très satisfait(e)",
            gate_metric=GateMetric.CSAT,
        ),
        DefaultQuestion(
            QuestionKind.NPS,
            "Recommanderiez-vous cette formation à un(e) collègue ?",
            required=True,
            help_text="0 : certainement pas · 10 : certainement",
            gate_metric=GateMetric.NPS,
        ),
        DefaultQuestion(
            QuestionKind.RATING,
            "Je pourrai appliquer ce que j'ai appris dans mon travail.",
            required=True,
            help_text="1 : pas du tout d'accord · 5 : tout à fait d'accord",
        ),
        DefaultQuestion(
            QuestionKind.YES_NO,
            "Avez-vous l'intention d'appliquer ce que vous avez appris ?",
            gate_metric=GateMetric.INTENTION,
        ),
        DefaultQuestion(
            QuestionKind.SINGLE_CHOICE,
            "Combien de temps y avez-vous consacré ?",
            choices=(
                "Moins de 30 minutes",
                "De 30 minutes à 1 heure",
                "De 1 à 2 heures",
                "Plus de 2 heures",
            ),
        ),
        DefaultQuestion(QuestionKind.TEXT, "Que devrions-nous améliorer ?"),
    ),
    "en": (
        DefaultQuestion(
            QuestionKind.RATING,
            "Overall, how satisfied are you with this increment?",
            required=True,
            help_text="1: not at all satisfied · 5: very satisfied",
            gate_metric=GateMetric.CSAT,
        ),
        DefaultQuestion(
            QuestionKind.NPS,
            "How likely are you to recommend this training to a colleague?",
            required=True,
            help_text="0: not at all likely · 10: extremely likely",
            gate_metric=GateMetric.NPS,
        ),
        DefaultQuestion(
            QuestionKind.RATING,
            "I will be able to apply this in my work.",
            required=True,
            help_text="1: strongly disagree · 5: strongly agree",
        ),
        DefaultQuestion(
            QuestionKind.YES_NO,
            "Do you intend to apply what you learned?",
            gate_metric=GateMetric.INTENTION,
        ),
        DefaultQuestion(
            QuestionKind.SINGLE_CHOICE,
            "How much time did you spend on it?",
            choices=(
                "Less than 30 minutes",
                "30 minutes to 1 hour",
                "1 to 2 hours",
                "More than 2 hours",
            ),
        ),
        DefaultQuestion(QuestionKind.TEXT, "What should we improve?"),
    ),
}


def default_questions(language: str) -> tuple[DefaultQuestion, ...]:
    """The default questionnaire in `language` (French when we have none in that language)."""
    return DEFAULT_QUESTIONS.get(language, DEFAULT_QUESTIONS["fr"])


def parse_choices(text: str | Sequence[str]) -> list[str]:
    """Choices typed one per line: trimmed, blank lines and repeats dropped, order kept."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    seen: set[str] = set()
    found: list[str] = []
    for line in lines:
        choice = one_line(line)
        if choice and choice.casefold() not in seen:
            seen.add(choice.casefold())
            found.append(choice)
    return found


def allowed_values(kind: QuestionKind) -> tuple[int, ...] | None:
    """The integer values a question of this kind accepts (None: not an integer question)."""
    if kind == QuestionKind.RATING:
        return RATING_VALUES
    if kind == QuestionKind.NPS:
        return NPS_VALUES
    if kind == QuestionKind.YES_NO:
        return (1, 0)
    return None


# -- Editing the questionnaire (draft rounds) -----------------------------------------------------


def get_question(session: Session, round_: FeedbackRound, question_id: int) -> Question:
    return rows.get_in(session, Question, question_id, _("No such question."), round_id=round_.id)


@dataclass(frozen=True)
class QuestionInput:
    kind: QuestionKind | str
    prompt: str
    help_text: str = ""
    required: bool = False
    per_brick: bool = False
    choices: str | Sequence[str] = ""
    gate_metric: GateMetric | str | None = None


def _clean_question(data: QuestionInput) -> dict[str, Any]:
    kind = one_of(QuestionKind, data.kind, field="kind", message=_("Choose a kind of question."))
    prompt = checked_line(
        data.prompt, field="prompt", max_length=500, missing=_("Write the question.")
    )
    help_text = checked_line(data.help_text, field="help_text", max_length=500)
    choices: list[str] = []
    if kind in CHOICE_KINDS:
        choices = parse_choices(data.choices)
        if len(choices) < 2:
            raise DomainError(_("Give at least two choices, one per line."), field="choices")
        if len(choices) > MAX_CHOICES:
            raise DomainError(
                ngettext("At most %(num)s choice.", "At most %(num)s choices.", MAX_CHOICES),
                field="choices",
            )
        if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            raise DomainError(
                ngettext(
                    "Each choice has at most %(num)s character.",
                    "Each choice has at most %(num)s characters.",
                    MAX_CHOICE_LENGTH,
                ),
                field="choices",
            )
    gate_metric = None
    if data.gate_metric:
        gate_metric = one_of(
            GateMetric, data.gate_metric, field="gate_metric", message=_("Unknown gate criterion.")
        )
        if GATE_METRIC_KIND[gate_metric] != kind:
            raise DomainError(
                _(
                    "CSAT comes from a 1-5 rating question, NPS from an NPS question, the"
                    " intention to apply from a yes/no question."
                ),
                field="gate_metric",
            )
    return {
        "kind": kind,
        "prompt": prompt,
        "help_text": help_text,
        "required": bool(data.required),
        "per_brick": bool(data.per_brick),
        "choices": choices,
        "gate_metric": gate_metric,
    }


def add_question(session: Session, round_: FeedbackRound, data: QuestionInput) -> Question:
    require_draft(round_)
    values = _clean_question(data)
    last = session.scalar(select(func.max(Question.position)).where(Question.round_id == round_.id))
    question = Question(round_id=round_.id, position=(last or 0) + 1, **values)
    session.add(question)
    session.flush()
    session.expire(round_, ["questions"])
    return question


def update_question(session: Session, question: Question, data: QuestionInput) -> None:
    require_draft(question.round)
    for name, value in _clean_question(data).items():
        setattr(question, name, value)
    session.flush()


def delete_question(session: Session, question: Question) -> None:
    require_draft(question.round)
    round_ = question.round
    session.delete(question)
    session.flush()
    session.expire(round_, ["questions"])


def move_question(session: Session, question: Question, direction: str) -> None:
    """Swap with the neighbour above ("up") or below ("down"); nothing at either end."""
    require_draft(question.round)
    siblings = list(
        session.scalars(
            select(Question)
            .where(Question.round_id == question.round_id)
            .order_by(Question.position, Question.id)
        )
    )
    if direction in ("up", "down"):
        rows.swap_with_neighbour(session, siblings, question, -1 if direction == "up" else 1)
        session.expire(question.round, ["questions"])


def round_bricks(session: Session, round_: FeedbackRound) -> list[Brick]:
    """The bricks of the round's release, in backlog order (what per-brick questions cover)."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.release_id == round_.release_id, Brick.academy_id == round_.academy_id)
            .options(joinedload(Brick.academy))
            .order_by(Brick.rank, Brick.id)
        )
    )


def bricks_not_ready(session: Session, round_: FeedbackRound) -> list[Brick]:
    """The release's bricks not yet in review or done: testers would try unfinished work.
    Opening the round is not refused for them, but the manager is warned, with their keys."""
    ready = select(Stage.id).where(
        Stage.academy_id == round_.academy_id,
        Stage.category.in_((StageCategory.REVIEW, StageCategory.DONE)),
    )
    ready_ids = set(session.scalars(ready))
    return [b for b in round_bricks(session, round_) if b.stage_id not in ready_ids]


# -- The order of the form ------------------------------------------------------------------------


def field_name(question_id: int, brick_id: int | None = None) -> str:
    """The form field of a question (for one brick): q12, q12-b7."""
    return f"q{question_id}" if brick_id is None else f"q{question_id}-b{brick_id}"


@dataclass(frozen=True)
class Slot:
    """One place where a question is asked: once, or for one brick."""

    question: Question
    brick: Brick | None = None

    @property
    def name(self) -> str:
        return field_name(self.question.id, self.brick.id if self.brick else None)


def slots_of(questions: Sequence[Question], bricks: Sequence[Brick]) -> list[Slot]:
    """The questions asked once, then each brick's questions: the order of the form."""
    once = [Slot(q) for q in questions if not q.per_brick]
    per_brick = [q for q in questions if q.per_brick]
    return once + [Slot(q, brick) for brick in bricks for q in per_brick]
