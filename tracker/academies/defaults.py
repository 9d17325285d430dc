"""What a new academy starts with: its board's stages and its definitions of done.

Both in the academy's language; managers then edit them (board.stages, backlog.checklists).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tracker.academies.models import Academy, StageCategory
from tracker.backlog.models import BrickFormat, ChecklistTemplate

# ADDIE/SAM stages, in the academy's language (names are data, editable by managers).
DEFAULT_STAGES: dict[str, list[tuple[str, StageCategory]]] = {
    "fr": [
        ("Backlog", StageCategory.BACKLOG),
        ("Analyse", StageCategory.ACTIVE),
        ("Conception", StageCategory.ACTIVE),
        ("Production", StageCategory.ACTIVE),
        ("Relecture (alpha)", StageCategory.REVIEW),
        ("Prêt", StageCategory.DONE),
    ],
    "en": [
        ("Backlog", StageCategory.BACKLOG),
        ("Analysis", StageCategory.ACTIVE),
        ("Design", StageCategory.ACTIVE),
        ("Production", StageCategory.ACTIVE),
        ("Review (alpha)", StageCategory.REVIEW),
        ("Ready", StageCategory.DONE),
    ],
}

# The definitions of done, per format; a brick copies its format's list when it is created.
F = BrickFormat

# Items every brick is checked against, whatever its format.
_COMMON = {
    "fr": [
        "Objectifs pédagogiques rédigés et validés",
        "Contenu validé par l'expert métier",
        "Relecture orthographique",
        "Accessibilité vérifiée (RGAA)",
        "Revue juridique et charte de marque",
    ],
    "en": [
        "Learning objectives written and approved",
        "Content approved by the subject-matter expert",
        "Proofread",
        "Accessibility checked (WCAG)",
        "Legal and brand review",
    ],
}

_SPECIFIC: dict[str, dict[BrickFormat, list[str]]] = {
    "fr": {
        F.MOOC: [
            "Scénario pédagogique validé",
            "Vidéos sous-titrées",
            "Quiz et activités testés",
            "Forum et animation planifiés",
            "Certificat ou badge configuré",
        ],
        F.SPOC: [
            "Scénario pédagogique validé",
            "Cohorte et tuteurs identifiés",
            "Calendrier des sessions publié",
            "Quiz et activités testés",
        ],
        F.SERIOUS_GAME: [
            "Game design validé",
            "Parcours de jeu testé de bout en bout",
            "Scores et feedbacks vérifiés",
            "Export SCORM/xAPI testé dans le LMS",
        ],
        F.SOCIAL_LEARNING: [
            "Communauté et animateurs identifiés",
            "Règles de participation publiées",
            "Calendrier d'animation planifié",
        ],
        F.VIDEO: [
            "Script validé",
            "Sous-titres relus",
            "Transcription disponible",
            "Droits sur les images et la musique vérifiés",
            "Vidéo intégrée et lue dans le LMS",
        ],
        F.MICRO_LEARNING: [
            "Un seul objectif par grain",
            "Durée inférieure à 5 minutes vérifiée",
            "Lecture sur mobile testée",
        ],
        F.ELEARNING_MODULE: [
            "Storyboard validé",
            "Navigation et quiz testés",
            "Export SCORM/xAPI testé dans le LMS",
            "Suivi de la complétion vérifié",
        ],
        F.VIRTUAL_CLASS: [
            "Déroulé et supports validés",
            "Formateur briefé",
            "Outil de visioconférence testé",
            "Invitations et rappels envoyés",
        ],
        F.WEBINAR: [
            "Intervenants confirmés",
            "Supports validés",
            "Répétition technique faite",
            "Replay publié",
        ],
        F.PODCAST: [
            "Script ou conducteur validé",
            "Qualité sonore vérifiée",
            "Transcription disponible",
            "Droits sur la musique vérifiés",
        ],
        F.FACE_TO_FACE: [
            "Déroulé pédagogique validé",
            "Salle et matériel réservés",
            "Supports imprimés",
            "Feuille d'émargement et évaluation à chaud prêtes",
        ],
        F.BLENDED: [
            "Articulation distanciel / présentiel validée",
            "Chaque modalité du parcours terminée",
            "Planning des sessions publié",
        ],
        F.DOCUMENT: [
            "Maquette conforme à la charte",
            "Version PDF accessible générée",
            "Version et date indiquées",
        ],
    },
    "en": {
        F.MOOC: [
            "Learning design approved",
            "Videos subtitled",
            "Quizzes and activities tested",
            "Forum moderation planned",
            "Certificate or badge set up",
        ],
        F.SPOC: [
            "Learning design approved",
            "Cohort and tutors identified",
            "Session calendar published",
            "Quizzes and activities tested",
        ],
        F.SERIOUS_GAME: [
            "Game design approved",
            "Game played through end to end",
            "Scores and feedback checked",
            "SCORM/xAPI package tested in the LMS",
        ],
        F.SOCIAL_LEARNING: [
            "Community and facilitators identified",
            "Participation rules published",
            "Facilitation calendar planned",
        ],
        F.VIDEO: [
            "Script approved",
            "Subtitles proofread",
            "Transcript available",
            "Image and music rights checked",
            "Video embedded and playing in the LMS",
        ],
        F.MICRO_LEARNING: [
            "One objective per nugget",
            "Under 5 minutes checked",
            "Tested on mobile",
        ],
        F.ELEARNING_MODULE: [
            "Storyboard approved",
            "Navigation and quizzes tested",
            "SCORM/xAPI package tested in the LMS",
            "Completion tracking checked",
        ],
        F.VIRTUAL_CLASS: [
            "Run sheet and slides approved",
            "Trainer briefed",
            "Video-conferencing tool tested",
            "Invitations and reminders sent",
        ],
        F.WEBINAR: [
            "Speakers confirmed",
            "Slides approved",
            "Technical rehearsal done",
            "Replay published",
        ],
        F.PODCAST: [
            "Script or outline approved",
            "Sound quality checked",
            "Transcript available",
            "Music rights checked",
        ],
        F.FACE_TO_FACE: [
            "Session plan approved",
            "Room and equipment booked",
            "Handouts printed",
            "Attendance sheet and evaluation form ready",
        ],
        F.BLENDED: [
            "Online and classroom parts aligned",
            "Every part of the path done",
            "Session schedule published",
        ],
        F.DOCUMENT: [
            "Layout follows the brand guidelines",
            "Accessible PDF generated",
            "Version and date shown",
        ],
    },
}


def default_items(locale: str, format: BrickFormat) -> list[str]:
    """The default definition of done of a format, in the academy's language."""
    language = locale if locale in _SPECIFIC else "fr"
    return [*_SPECIFIC[language][format], *_COMMON[language]]


def install_default_checklists(session: Session, academy: Academy) -> None:
    """Give a new academy the default templates of every format, in its language."""
    for format in BrickFormat:
        for position, label in enumerate(default_items(academy.default_locale, format)):
            session.add(
                ChecklistTemplate(
                    academy_id=academy.id, format=format, position=position, label=label
                )
            )
    session.flush()
