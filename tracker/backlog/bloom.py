"""Bloom's taxonomy: level labels and the action verbs suggested for each level (FR and EN).

A learning objective starts with an observable action verb matching its level ("À l'issue de
la formation, l'apprenant saura *utiliser*..."). The verbs are suggestions shown beside the
statement, in French and in English whatever the reader's language, because an academy often
writes its objectives in both. They are vocabulary, not interface text: each list is already in
its own language and is not translated; the level names are.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.backlog.models import BloomLevel

BLOOM_LABELS = {
    BloomLevel.REMEMBER: _l("Remember"),
    BloomLevel.UNDERSTAND: _l("Understand"),
    BloomLevel.APPLY: _l("Apply"),
    BloomLevel.ANALYZE: _l("Analyze"),
    BloomLevel.EVALUATE: _l("Evaluate"),
    BloomLevel.CREATE: _l("Create"),
}

BLOOM_DESCRIPTIONS = {
    BloomLevel.REMEMBER: _l("Recall facts and basic concepts."),
    BloomLevel.UNDERSTAND: _l("Explain ideas or concepts."),
    BloomLevel.APPLY: _l("Use information in new situations."),
    BloomLevel.ANALYZE: _l("Draw connections among ideas."),
    BloomLevel.EVALUATE: _l("Justify a stand or decision."),
    BloomLevel.CREATE: _l("Produce new or original work."),
}

# The level suggested for a new objective: most corporate training aims at doing.
DEFAULT_LEVEL = BloomLevel.APPLY

VERBS: dict[BloomLevel, dict[str, tuple[str, ...]]] = {
    BloomLevel.REMEMBER: {
        "fr": (
            "citer", "définir", "décrire", "énumérer", "identifier", "lister", "nommer",
            "reconnaître", "repérer", "restituer", "retrouver", "situer",
        ),
        "en": (
            "define", "describe", "identify", "label", "list", "match", "name", "recall",
            "recognize", "reproduce", "state",
        ),
    },
    BloomLevel.UNDERSTAND: {
        "fr": (
            "classer", "comparer", "décrire", "distinguer", "expliquer", "illustrer",
            "interpréter", "reformuler", "résumer", "traduire",
        ),
        "en": (
            "classify", "compare", "explain", "give examples of", "illustrate", "interpret",
            "paraphrase", "summarize", "translate",
        ),
    },
    BloomLevel.APPLY: {
        "fr": (
            "appliquer", "calculer", "démontrer", "employer", "exécuter", "mettre en œuvre",
            "pratiquer", "réaliser", "résoudre", "utiliser",
        ),
        "en": (
            "apply", "calculate", "carry out", "demonstrate", "execute", "implement",
            "operate", "practise", "solve", "use",
        ),
    },
    BloomLevel.ANALYZE: {
        "fr": (
            "analyser", "catégoriser", "comparer", "décomposer", "diagnostiquer",
            "différencier", "examiner", "organiser", "questionner",
        ),
        "en": (
            "analyze", "break down", "categorize", "diagnose", "differentiate", "examine",
            "investigate", "organize", "question",
        ),
    },
    BloomLevel.EVALUATE: {
        "fr": (
            "argumenter", "critiquer", "décider", "défendre", "estimer", "évaluer", "juger",
            "justifier", "recommander", "valider",
        ),
        "en": (
            "appraise", "argue", "assess", "critique", "decide", "defend", "evaluate", "judge",
            "justify", "recommend",
        ),
    },
    BloomLevel.CREATE: {
        "fr": (
            "assembler", "composer", "concevoir", "construire", "créer", "élaborer",
            "imaginer", "planifier", "produire", "proposer",
        ),
        "en": (
            "assemble", "compose", "construct", "create", "design", "develop", "devise",
            "formulate", "plan", "produce",
        ),
    },
}  # fmt: skip

VERB_LANGUAGES = ("fr", "en")


def verbs_for(level: BloomLevel | str, first: str = "fr") -> list[tuple[str, tuple[str, ...]]]:
    """The suggested verbs of a level, by language, the reader's language first."""
    try:
        by_language = VERBS[BloomLevel(level)]
    except ValueError:
        by_language = VERBS[DEFAULT_LEVEL]
    order = sorted(VERB_LANGUAGES, key=lambda code: code != first)
    return [(code, by_language[code]) for code in order]


def all_verbs(level: BloomLevel) -> list[str]:
    """Every suggestion of a level, both languages, for a datalist."""
    return [verb for code in VERB_LANGUAGES for verb in VERBS[level][code]]
