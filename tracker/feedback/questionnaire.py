"""The default questionnaire a new round starts from, and the rules every question follows.

The default questions are data in the academy's language (like the default board stages), not
interface strings: the manager edits them, and testers read them as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.feedback.models import GateMetric, QuestionKind

RATING_VALUES = tuple(range(1, 6))
NPS_VALUES = tuple(range(11))
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE)
# Which kind of question may feed which gate criterion.
GATE_METRIC_KIND = {GateMetric.CSAT: QuestionKind.RATING, GateMetric.NPS: QuestionKind.NPS}
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 200


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
        choice = " ".join(line.split())
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
