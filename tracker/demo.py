"""The demo academy ("Académie Digitale"): a Digital Learning Manager's academy at a large
French bank, with eight weeks of history played through the real services.

The first seed of an instance creates the academy and plays its story in the past: a pilot
increment tested by the beta panel and released with its notes, a closed sprint, an active one
with some progress, a planned one, and a second increment in beta with its round still open.
Running the seed again only gives the demo people back their password and roles: it never
creates anything twice, and leaves alone what people changed in the demo.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tracker import spreadsheets
from tracker.academies.models import Academy, AcademyInvitation, Role, Stage, StageCategory
from tracker.academies.services import accept_invitation, add_member, create_academy
from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.auth.services import create_user, get_user_by_email
from tracker.backlog import checklists, needs_services, paths_services
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick, LearningPath, TrainingNeed
from tracker.board import services as board_services
from tracker.db import utcnow
from tracker.feedback import panel, panel_import, triage
from tracker.feedback.answers import invitation_of, save_response
from tracker.feedback.invitations import invite_testers
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import FeedbackItem, FeedbackRound, Question, RoundInvitation
from tracker.feedback.questionnaire import field_name
from tracker.feedback.rounds import close_round, create_round, open_round
from tracker.releases import notes as release_notes
from tracker.releases import services as release_services
from tracker.releases.models import Release
from tracker.sprints import services as sprint_services
from tracker.sprints.models import Sprint

DEMO_SLUG = "academie-digitale"
DEMO_DOMAIN = "brique.example"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role | None  # None: site admin without membership
    locale: str = "fr"


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(f"admin@{DEMO_DOMAIN}", "Camille Admin (DSI)", None),
    DemoPerson(f"sophie.rosier@{DEMO_DOMAIN}", "Sophie Rosier", Role.MANAGER),
    DemoPerson(f"karim.benali@{DEMO_DOMAIN}", "Karim Benali", Role.DESIGNER),
    DemoPerson(f"lea.martin@{DEMO_DOMAIN}", "Léa Martin", Role.TESTER),
    DemoPerson(f"thomas.nguyen@{DEMO_DOMAIN}", "Thomas Nguyen", Role.TESTER),
    DemoPerson(f"ines.dubois@{DEMO_DOMAIN}", "Inès Dubois", Role.TESTER, "en"),
    DemoPerson(f"marc.lefevre@{DEMO_DOMAIN}", "Marc Lefèvre", Role.STAKEHOLDER),
)

DEMO_DESCRIPTION = """\
L'école digitale du groupe, construite **brique par brique** comme un produit :
un backlog de modules, des sprints de deux semaines, et un panel de bêta-testeurs du siège
et du réseau d'agences qui évalue chaque incrément avant sa mise en place.

- Parcours « Culture digitale » pour tous les collaborateurs
- Parcours « Data & IA » pour les métiers
- Parcours « Sécurité du SI » avec la DSI
- Parcours « Management hybride » avec la DRH
"""


def seed_demo(
    session: Session,
    *,
    password: str,
    secret_key: str | None = None,
    base_url: str | None = None,
) -> tuple[Academy, list[DemoPerson]]:
    """Create the demo academy and play its story (first run), or bring its people back.

    Running it again changes nothing but the demo people's password and roles. The secret key
    (which derives the testers' personal links and finds their answers) and the base URL (of
    the links in e-mails) default to the application's.
    """
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        user = get_user_by_email(session, person.email)
        if user is None:
            user = create_user(
                session,
                email=person.email,
                display_name=person.name,
                password=password,
                locale=person.locale,
                is_admin=person.role is None,
            )
        else:
            user.password_hash = hash_password(password)
            user.is_active_account = True
        users[person.email] = user
    academy = session.scalar(select(Academy).where(Academy.slug == DEMO_SLUG))
    fresh = academy is None
    if academy is None:
        academy = create_academy(
            session,
            name="Académie Digitale",
            slug=DEMO_SLUG,
            key_prefix="ACAD",
            description=DEMO_DESCRIPTION,
            default_locale="fr",
            actor=users[DEMO_PEOPLE[0].email],
        )
    for person in DEMO_PEOPLE:
        if person.role is not None:
            add_member(session, academy, users[person.email], person.role)
    session.flush()
    if fresh:
        config = current_app.config
        story = _Story(
            session,
            academy,
            users,
            secret_key=secret_key or config["SECRET_KEY"],
            base_url=(base_url or config["BASE_URL"]).rstrip("/"),
            tz=ZoneInfo(config.get("DEFAULT_TIMEZONE") or "Europe/Paris"),
            now=utcnow(),
        )
        story.play()
    return academy, list(DEMO_PEOPLE)


# -- The planning content: paths, releases, bricks, training needs ------------------------------

MANAGER_EMAIL = f"sophie.rosier@{DEMO_DOMAIN}"
DESIGNER_EMAIL = f"karim.benali@{DEMO_DOMAIN}"
STAKEHOLDER_EMAIL = f"marc.lefevre@{DEMO_DOMAIN}"
DEMO_TESTER_EMAILS = (
    f"lea.martin@{DEMO_DOMAIN}",
    f"thomas.nguyen@{DEMO_DOMAIN}",
    f"ines.dubois@{DEMO_DOMAIN}",
)


@dataclass(frozen=True)
class DemoPath:
    name: str
    colour: str
    population: str
    description: str


DEMO_PATHS: tuple[DemoPath, ...] = (
    DemoPath(
        "Culture digitale",
        "#1f4e79",
        "Tous les collaborateurs",
        "Les fondamentaux pour travailler à l'ère numérique : outils, usages, réflexes.",
    ),
    DemoPath(
        "Data & IA",
        "#6a3d9a",
        "Équipes métiers et managers",
        "Lire la donnée, l'utiliser pour décider, et se servir de l'IA générative avec "
        "discernement.",
    ),
    DemoPath(
        "Sécurité du SI",
        "#b3261e",
        "Tous les collaborateurs, avec la DSI",
        "Les gestes qui protègent l'entreprise et ses clients : phishing, mots de passe, RGPD.",
    ),
    DemoPath(
        "Management hybride",
        "#0b6e4f",
        "Managers de proximité",
        "Animer, faire grandir et accompagner une équipe entre bureau et télétravail.",
    ),
)


@dataclass(frozen=True)
class DemoRelease:
    name: str
    goal: str


PILOT = "Incrément 0 — Pilote"
SOCLE = "Incrément 1 — Socle digital"
DATA_CYBER = "Incrément 2 — Data & Cyber"
HYBRID = "Incrément 3 — Management hybride"

DEMO_RELEASES: tuple[DemoRelease, ...] = (
    DemoRelease(
        PILOT,
        "Valider la démarche sur trois briques courtes avant d'ouvrir l'Académie : la vidéo "
        "d'accueil, les réflexes anti-phishing et les outils collaboratifs, évalués par le "
        "premier panel de bêta-testeurs du siège et du réseau.",
    ),
    DemoRelease(
        SOCLE,
        "Donner à tous les collaborateurs le **socle commun** : culture numérique, réunions à "
        "distance, RGPD, mots de passe et premiers usages de l'IA. Évalué par le panel de "
        "bêta-testeurs avant l'ouverture à tous.",
    ),
    DemoRelease(
        DATA_CYBER,
        "La data au service des métiers et un escape game cybersécurité pour les agences.",
    ),
    DemoRelease(HYBRID, "Le parcours des managers de proximité, co-construit avec la DRH."),
)


@dataclass(frozen=True)
class DemoBrick:
    title: str
    format: str
    minutes: int
    points: int
    path: str | None
    release: str | None  # a DEMO_RELEASES name
    owner: str  # e-mail
    summary: str
    objectives: tuple[tuple[str, str], ...] = ()
    vendor: str = ""
    audience: str = ""
    # The story's working day (see _Calendar) of each step to the next board column: the
    # brick ends in the column numbered len(moves) (0 backlog ... 5 done).
    moves: tuple[int, ...] = ()


_C, _D, _S, _M = (p.name for p in DEMO_PATHS)
_K, _SR = DESIGNER_EMAIL, MANAGER_EMAIL

# In backlog order: what ships first comes first.
DEMO_BRICKS: tuple[DemoBrick, ...] = (
    # The pilot: made before the team worked in sprints, released three weeks ago.
    DemoBrick("Bienvenue dans l'Académie Digitale", "video", 4, 1, None, PILOT, _SR,
              "Une vidéo d'accueil : ce que propose l'Académie et comment s'y retrouver.",
              (("Situer les parcours de l'Académie", "remember"),), "Studio Pixel", "Tous",
              moves=(-27, -25, -23, -21, -18)),
    DemoBrick("Phishing : les bons réflexes", "video", 6, 3, _S, PILOT, _K,
              "Reconnaître un courriel piégé en cinq indices, et le signaler.",
              (("Reconnaître un courriel d'hameçonnage", "analyze"),
               ("Signaler un courriel suspect à la DSI", "apply")),
              "Studio Pixel", "Tous les collaborateurs", moves=(-26, -24, -22, -20, -17)),
    DemoBrick("Travailler avec les outils collaboratifs", "video", 12, 3, _C, PILOT, _K,
              "Partager, co-éditer et retrouver un document sans pièce jointe.",
              (("Co-éditer un document partagé", "apply"),), "Studio Pixel",
              "Tous les collaborateurs", moves=(-26, -25, -23, -20, -17)),
    # Increment 1: Sprint 1, three bricks carried over to Sprint 2; in beta now.
    DemoBrick("Les fondamentaux du numérique", "mooc", 180, 8, _C, SOCLE, _K,
              "Cloud, données, API, cybersécurité : les notions clés en six semaines.",
              (("Expliquer ce que sont le cloud, la donnée et une API", "understand"),
               ("Identifier les usages numériques de son métier", "apply")),
              "LearnUp", "Tous les collaborateurs", moves=(-3, 0, 2, 6, 8)),
    DemoBrick("Animer une réunion à distance", "virtual_class", 90, 5, _C, SOCLE, _SR,
              "Classe virtuelle : préparer, animer et conclure une réunion en visio.",
              (("Animer une réunion à distance de 45 minutes", "apply"),), "",
              "Managers et chefs de projet", moves=(-2, 1, 3, 5, 6)),
    DemoBrick("RGPD : l'essentiel pour tous", "elearning_module", 35, 5, _S, SOCLE, _K,
              "Les règles de base de la protection des données personnelles.",
              (("Citer les principes du RGPD", "remember"),
               ("Appliquer les règles de conservation des données clients", "apply")),
              "Axiome Formation", "Tous les collaborateurs", moves=(-4, 0, 1, 3, 4)),
    DemoBrick("Webinaire : IA et éthique", "webinar", 60, 3, _D, SOCLE, _SR,
              "Un débat d'une heure avec la DSI et la Conformité sur les usages de l'IA.",
              (("Évaluer les risques d'un usage de l'IA", "evaluate"),), "",
              "Tous les collaborateurs", moves=(0, 1, 3, 7, 9)),
    DemoBrick("Mots de passe et authentification forte", "micro_learning", 7, 2, _S, SOCLE,
              _K, "Trois minutes pour adopter une phrase de passe et la double "
              "authentification.", (("Créer une phrase de passe robuste", "apply"),),
              "", "Tous les collaborateurs", moves=(1, 3, 5, 8, 11)),
    DemoBrick("Rédiger un bon prompt", "micro_learning", 8, 2, _D, SOCLE, _K,
              "La structure d'un prompt efficace, avec des exemples métiers.",
              (("Rédiger un prompt précis pour une tâche de son métier", "create"),), "",
              "Équipes métiers", moves=(2, 4, 6, 9)),
    DemoBrick("Quiz : êtes-vous digital ready ?", "micro_learning", 10, 2, _C, SOCLE, _K,
              "Un autodiagnostic pour choisir ses modules.",
              (("Évaluer son niveau de maturité numérique", "evaluate"),), "",
              "Tous les collaborateurs", moves=(1, 4, 7, 9, 11)),
    # Increment 2: Sprint 2 (active) and Sprint 3 (planned).
    DemoBrick("Podcast — Les métiers de demain", "podcast", 25, 2, _C, DATA_CYBER, _SR,
              "Trois épisodes : des collaborateurs racontent comment leur métier change.",
              (("Décrire l'évolution de son métier", "understand"),), "Studio Pixel",
              "Tous les collaborateurs", moves=(8, 10, 11)),
    DemoBrick("Escape game cybersécurité", "serious_game", 40, 13, _S, DATA_CYBER, _K,
              "Une agence piratée à remettre en état en 40 minutes, en équipe.",
              (("Réagir à un incident de sécurité", "apply"),
               ("Analyser les failles d'un poste de travail", "analyze")),
              "GameLab", "Conseillers en agence", moves=(7, 10, 11)),
    DemoBrick("Data literacy : lire un tableau de bord", "spoc", 240, 13, _D, DATA_CYBER, _K,
              "Un SPOC tutoré de quatre semaines, avec des cas issus des agences.",
              (("Interpréter les indicateurs d'un tableau de bord", "analyze"),
               ("Justifier une décision par la donnée", "evaluate")),
              "LearnUp", "Directeurs d'agence et managers", moves=(11,)),
    DemoBrick("L'IA générative au quotidien", "mooc", 150, 8, _D, DATA_CYBER, _K,
              "Usages, limites et règles de l'IA générative dans le groupe.",
              (("Expliquer le fonctionnement d'un modèle de langage", "understand"),
               ("Utiliser un assistant IA dans le respect des règles du groupe", "apply")),
              "LearnUp", "Tous les collaborateurs", moves=(9, 11)),
    DemoBrick("Réseaux sociaux professionnels : soigner son profil", "elearning_module", 30, 3,
              _C, DATA_CYBER, _SR, "Construire un profil qui sert l'image du groupe.",
              (("Rédiger un profil professionnel", "create"),), "", "Tous les collaborateurs",
              moves=(11,)),
    DemoBrick("Lutte contre le blanchiment (LCB-FT)", "elearning_module", 45, 8, _S, DATA_CYBER,
              _K, "Le module réglementaire annuel, refondu avec la Conformité.",
              (("Identifier une opération atypique", "analyze"),), "Axiome Formation",
              "Chargés de clientèle", moves=(6,)),
    DemoBrick("Serious game : Data Detective", "serious_game", 45, 13, _D, DATA_CYBER, _K,
              "Une enquête où chaque indice est un graphique à lire.",
              (("Repérer un biais dans une visualisation", "analyze"),), "GameLab",
              "Équipes métiers"),
    DemoBrick("Manager une équipe hybride", "spoc", 300, 13, _M, HYBRID, _SR,
              "Le SPOC des managers : rituels, confiance, charge de travail.",
              (("Organiser les rituels d'une équipe hybride", "apply"),
               ("Évaluer la charge de travail de son équipe", "evaluate")),
              "", "Managers de proximité", moves=(3,)),
    # The rest of the backlog.
    DemoBrick("Sécurité en télétravail", "podcast", 20, 2, _S, None, _K,
              "Wi-Fi, écrans partagés, impressions : les risques du travail hors les murs.",
              (("Identifier les risques de son poste en télétravail", "understand"),), "",
              "Tous les collaborateurs", moves=(9,)),
    DemoBrick("Fiche réflexe : protéger les données clients", "document", 5, 1, _S, SOCLE, _K,
              "Une page à garder sous la main.",
              (("Appliquer les bons réflexes de protection des données", "apply"),), "",
              "Conseillers en agence", moves=(5, 5, 6, 7, 8)),
    DemoBrick("Excel : tableaux croisés dynamiques", "elearning_module", 40, 5, _D, None, _K,
              "Construire et lire un tableau croisé dynamique.",
              (("Construire un tableau croisé dynamique", "apply"),), "Axiome Formation",
              "Assistants et gestionnaires"),
    DemoBrick("Power BI pour débutants", "virtual_class", 180, 8, _D, None, _SR,
              "Deux classes virtuelles pour publier son premier rapport.",
              (("Publier un rapport Power BI", "create"),), "", "Contrôleurs de gestion"),
    DemoBrick("Simulation d'attaque : exercice de crise", "face_to_face", 210, 8, _S, None, _SR,
              "Une demi-journée en présentiel avec la cellule de crise de la DSI.",
              (("Coordonner la réponse à une cyberattaque", "evaluate"),), "",
              "Comité de direction et managers"),
    DemoBrick("Communauté d'entraide digitale", "social_learning", 60, 5, _C, None, _SR,
              "Des ambassadeurs digitaux qui répondent aux questions de leurs collègues.",
              (("Partager une astuce numérique avec ses collègues", "apply"),), "",
              "Tous les collaborateurs"),
    DemoBrick("Classe inversée : le cloud expliqué", "blended", 120, 8, _C, None, _K,
              "Une vidéo à voir avant, un atelier pour manipuler ensemble.",
              (("Expliquer les modèles de cloud", "understand"),), "", "Équipes support"),
    DemoBrick("Feedback à distance : les bons gestes", "video", 9, 3, _M, None, _K,
              "Donner un feedback utile en visio, sans malentendu.",
              (("Formuler un feedback constructif à distance", "apply"),), "Studio Pixel",
              "Managers de proximité"),
    DemoBrick("Atelier codéveloppement managers", "face_to_face", 180, 5, _M, None, _SR,
              "Des groupes de six managers qui résolvent ensemble un cas réel.",
              (("Analyser une situation managériale avec ses pairs", "analyze"),), "",
              "Managers de proximité"),
    DemoBrick("Webinaire : droit à la déconnexion", "webinar", 45, 2, _M, None, _SR,
              "Ce que dit l'accord d'entreprise, et comment le faire vivre.",
              (("Expliquer l'accord sur le droit à la déconnexion", "understand"),), "",
              "Managers de proximité"),
    DemoBrick("Conduire le changement digital", "blended", 240, 13, _M, None, _SR,
              "Accompagner son équipe dans un changement d'outil ou de process.",
              (("Construire le plan d'accompagnement d'un changement", "create"),),
              "Axiome Formation", "Managers de proximité"),
    DemoBrick("Podcast — Paroles de managers", "podcast", 30, 2, _M, None, _K,
              "Des managers racontent leur première année en hybride.",
              (("Décrire les pratiques d'autres managers", "understand"),), "",
              "Managers de proximité"),
)  # fmt: skip

# The brick a beta tester's idea became during the pilot (created from the feedback item),
# then planned into Sprint 1 with the second increment.
QUIZ_FROM_FEEDBACK = DemoBrick(
    "Quiz phishing : testez vos réflexes", "micro_learning", 5, 2, _S, SOCLE, _K,
    "Dix courriels à classer, vrai ou piège : une idée venue du panel pendant le pilote.",
    (("Distinguer un courriel légitime d'un courriel piégé", "analyze"),), "",
    "Tous les collaborateurs", moves=(0, 1, 2, 2, 3),
)  # fmt: skip

# The sprints: what each one took on, and what it was for.
SPRINT_1 = (
    "Les fondamentaux du numérique", "Animer une réunion à distance",
    "RGPD : l'essentiel pour tous", "Webinaire : IA et éthique",
    "Mots de passe et authentification forte", "Rédiger un bon prompt",
    "Quiz : êtes-vous digital ready ?", QUIZ_FROM_FEEDBACK.title,
)  # fmt: skip
SPRINT_1_ADDED = "Fiche réflexe : protéger les données clients"
SPRINT_2 = (
    "Podcast — Les métiers de demain", "Escape game cybersécurité",
    "L'IA générative au quotidien", "Réseaux sociaux professionnels : soigner son profil",
)  # fmt: skip
SPRINT_3 = (
    "Data literacy : lire un tableau de bord", "Lutte contre le blanchiment (LCB-FT)",
    "Serious game : Data Detective",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSprint:
    name: str
    goal: str
    capacity: int


DEMO_SPRINTS: tuple[DemoSprint, ...] = (
    DemoSprint(
        "Sprint 1",
        "Produire le socle digital (incrément 1) et intégrer les retours du pilote.",
        30,
    ),
    DemoSprint(
        "Sprint 2",
        "Finir le socle pendant sa bêta et produire l'escape game et le podcast de l'incrément 2.",
        34,
    ),
    DemoSprint(
        "Sprint 3",
        "Lancer la data literacy et refondre le module LCB-FT avec la Conformité.",
        34,
    ),
)


@dataclass(frozen=True)
class DemoNeed:
    title: str
    business_unit: str
    requester: str
    population: str
    headcount: int
    criticality: int
    urgency: int
    # Statuses it goes through after "new", in order (the last is where it stands).
    statuses: tuple[str, ...]
    bricks: tuple[str, ...]
    day: int  # the story's working day it was submitted
    description: str = ""
    decline_reason: str = ""
    by_stakeholder: bool = False


DEMO_NEEDS: tuple[DemoNeed, ...] = (
    DemoNeed("Sensibiliser les conseillers au phishing", "Banque de détail",
             "Nathalie Girard, directrice du réseau", "Conseillers en agence", 1800, 5, 5,
             ("accepted", "planned"), ("Phishing : les bons réflexes", "Escape game cybersécurité"),
             -32, "Trois tentatives de fraude par courriel ont visé les agences ce trimestre.",
             by_stakeholder=True),
    DemoNeed("Maîtriser les outils collaboratifs", "DRH", "Julien Morel, RRH",
             "Tous les collaborateurs", 4200, 3, 3, ("accepted", "planned", "delivered"),
             ("Travailler avec les outils collaboratifs", "Animer une réunion à distance"),
             -32, "Accompagner le déploiement de la suite collaborative."),
    DemoNeed("Former les managers au travail hybride", "DRH", "Claire Fontaine, DRH adjointe",
             "Managers de proximité", 350, 4, 3, ("accepted",), ("Manager une équipe hybride",),
             -31, "Suite à l'accord télétravail, les managers demandent des repères."),
    DemoNeed("Comprendre l'IA générative et ses risques", "DSI", "Antoine Leroy, DSI",
             "Tous les collaborateurs", 4200, 4, 4, ("accepted", "planned"),
             ("L'IA générative au quotidien", "Rédiger un bon prompt",
              "Webinaire : IA et éthique"),
             -31, "Les usages se multiplient hors de tout cadre : il faut un socle commun."),
    DemoNeed("Obligations LCB-FT des chargés de clientèle", "Conformité",
             "Sandrine Blanc, responsable conformité", "Chargés de clientèle", 900, 5, 4,
             ("accepted", "planned"), ("Lutte contre le blanchiment (LCB-FT)",),
             -30, "Exigence réglementaire : formation annuelle tracée."),
    DemoNeed("RGPD : rappel annuel", "Conformité", "Sandrine Blanc, responsable conformité",
             "Tous les collaborateurs", 4200, 5, 2, ("accepted", "planned"),
             ("RGPD : l'essentiel pour tous", "Fiche réflexe : protéger les données clients"),
             -30),
    DemoNeed("Lire les tableaux de bord commerciaux", "Banque de détail",
             "Nathalie Girard, directrice du réseau", "Directeurs d'agence", 220, 3, 4, (), (),
             11, "Les directeurs d'agence reçoivent un nouveau tableau de bord en janvier.",
             by_stakeholder=True),
    DemoNeed("Python pour les actuaires", "Direction des risques", "Paul Henry, actuaire",
             "Actuaires", 25, 2, 2, ("declined",), (), -29,
             "Automatiser les calculs de provisions.",
             decline_reason="Trop spécialisé pour l'Académie : l'offre du prestataire "
             "référencé par la DRH y répond déjà."),
    DemoNeed("Prendre la parole en visioconférence", "DRH", "Marc Lefèvre", "Tous les "
             "collaborateurs", 4200, 2, 2, (), (), 6, by_stakeholder=True),
)  # fmt: skip


# -- The beta panel -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTester:
    name: str
    email: str
    business_unit: str
    job_family: str
    site: str
    language: str = "fr"


# Business units of the bank, the job families found in each, and how many panel members.
PANEL_UNITS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Banque de détail", ("Conseil clientèle", "Direction d'agence", "Gestion de patrimoine",
                          "Clientèle professionnelle"), 14),
    ("DRH", ("Gestion RH", "Recrutement", "Formation"), 7),
    ("DSI", ("Chef de projet SI", "Développement", "Support informatique"), 8),
    ("Conformité", ("Conformité", "Sécurité financière"), 5),
    ("Direction des risques", ("Risques de crédit", "Contrôle des risques"), 6),
)  # fmt: skip
PANEL_SITES: tuple[tuple[str, int], ...] = (("Paris", 16), ("Lyon", 9), ("Lille", 8), ("Nantes", 7))

_FIRST_NAMES = (
    "Camille", "Julien", "Sarah", "Nicolas", "Émilie", "Mehdi", "Claire", "Antoine", "Manon",
    "Hugo", "Chloé", "Yanis", "Pauline", "Maxime", "Élodie", "Romain", "Amandine", "Sébastien",
    "Laura", "Karine", "Guillaume", "Nadia", "Vincent", "Aurélie", "François", "Océane", "Bruno",
    "Samira", "Jérôme", "Lucie", "Patrick", "Fatou", "Olivier", "Justine", "Stéphane", "Marion",
    "Alexandre",
)  # fmt: skip
_LAST_NAMES = (
    "Bernard", "Petit", "Robert", "Richard", "Durand", "Moreau", "Laurent", "Simon", "Michel",
    "Garcia", "David", "Bertrand", "Roux", "Boyer", "Fournier", "Mercier", "Dupont", "Lambert",
    "Bonnet", "Legrand", "Garnier", "Faure", "Rousseau", "Guérin", "Muller", "Roussel", "Perrin",
    "Morin", "Mathieu", "Clément", "Gauthier", "Lopez", "Chevalier", "Robin", "Masson", "Diallo",
    "Traoré",
)  # fmt: skip


def _email_of(name: str) -> str:
    """prénom.nom@brique.example, without accents or spaces."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    first, _sep, last = plain.lower().partition(" ")
    return f"{first}.{last.replace(' ', '-')}@{DEMO_DOMAIN}"


def _panel() -> tuple[DemoTester, ...]:
    """The three demo testers and 37 colleagues, their attributes spread like the bank's."""
    rng = random.Random(1848)  # the same panel on every installation
    units = [(unit, families) for unit, families, count in PANEL_UNITS for _n in range(count)]
    sites = [site for site, count in PANEL_SITES for _n in range(count)]
    rng.shuffle(units)
    rng.shuffle(sites)
    testers = [
        DemoTester("Léa Martin", DEMO_TESTER_EMAILS[0], "Banque de détail", "Conseil clientèle",
                   "Lyon"),
        DemoTester("Thomas Nguyen", DEMO_TESTER_EMAILS[1], "DSI", "Chef de projet SI", "Paris"),
        DemoTester("Inès Dubois", DEMO_TESTER_EMAILS[2], "Conformité", "Conformité", "Lille",
                   "en"),
    ]  # fmt: skip
    for tester in testers:  # the demo testers take their places in their unit and site
        units.remove(next(u for u in units if u[0] == tester.business_unit))
        sites.remove(tester.site)
    seen: dict[str, int] = {}
    for n, first in enumerate(_FIRST_NAMES):
        name = f"{first} {_LAST_NAMES[(n * 10) % len(_LAST_NAMES)]}"
        unit, families = units[n]
        family = families[seen.get(unit, 0) % len(families)]
        seen[unit] = seen.get(unit, 0) + 1
        language = "en" if n in (7, 29) else "fr"  # colleagues who prefer English
        testers.append(DemoTester(name, _email_of(name), unit, family, sites[n], language))
    return tuple(testers)


DEMO_TESTERS: tuple[DemoTester, ...] = _panel()

DEMO_SEGMENTS: tuple[tuple[str, dict[str, list[str]]], ...] = (
    ("Réseau d'agences", {"business_unit": ["Banque de détail"]}),
    ("Fonctions de contrôle", {"business_unit": ["Conformité", "Direction des risques"]}),
    ("Sites en région", {"site": ["Lille", "Lyon", "Nantes"]}),
)


# -- The beta rounds: who answered what -----------------------------------------------------------

PILOT_ROUND = "Bêta pilote — Incrément 0"
SOCLE_ROUND = "Bêta — Incrément 1 « Socle digital »"

PILOT_INVITED = 36
PILOT_SUBMITTED = 31
SOCLE_INVITED = 25
SOCLE_SUBMITTED = 12
SOCLE_DRAFTS = 2

# Satisfaction (1-5), recommendation (0-10) and "I can apply it" (1-5) of the responses.
PILOT_SCORES = (
    [5] * 11 + [4] * 14 + [3] * 4 + [2] * 2,  # CSAT 80.6 %
    [10] * 5 + [9] * 8 + [8] * 8 + [7] * 4 + [6] * 3 + [5] * 2 + [4],  # NPS +22.6
    [5] * 9 + [4] * 13 + [3] * 6 + [2] * 3,
)
SOCLE_SCORES = (
    [5] * 4 + [4] * 5 + [3] * 2 + [2],  # CSAT 75 %
    [10, 10, 9, 9, 9, 8, 8, 7, 7, 6, 5, 3],  # NPS +16.7
    [5] * 3 + [4] * 6 + [3] * 2 + [2],
)
PILOT_COMMENTS = (
    (
        "Format court et efficace, parfait entre deux rendez-vous clients.",
        "Les exemples de faux courriels sont très proches de ce qu'on reçoit en agence.",
        "Enfin une formation qui va droit au but !",
        "Très clair, j'ai partagé la vidéo phishing avec mon équipe.",
        "Ludique et utile au quotidien, bravo à l'équipe.",
    ),
    (
        "Ajouter des sous-titres : en open space, on ne peut pas toujours mettre le son.",
        "La vidéo sur les outils collaboratifs va un peu vite pour les débutants.",
        "Il manque un petit quiz pour vérifier qu'on a bien compris.",
        "Prévoir une version lisible sur mobile, je n'ai pas de PC en agence le matin.",
        "Le lien reçu par courriel ne fonctionnait pas depuis le poste d'agence.",
    ),
)
SOCLE_COMMENTS = (
    (
        "Le MOOC est dense mais très bien construit, les quiz aident à retenir.",
        "Le webinaire IA et éthique était passionnant, à refaire avec des cas métiers.",
        "Module RGPD enfin concret, avec des exemples de notre quotidien.",
        "J'ai pu suivre la classe virtuelle depuis Nantes sans me déplacer : top.",
    ),
    (
        "Le quiz final du module RGPD se bloque, impossible de valider.",
        "Le MOOC demande plus de temps qu'annoncé : prévoir du temps dédié dans l'agenda.",
        "Quelques liens morts dans la semaine 2 du MOOC.",
        "Une fiche mémo à télécharger serait utile après la classe virtuelle.",
    ),
)
ENGLISH_COMMENT = "Clear and useful. English subtitles would help our international colleagues."


@dataclass(frozen=True)
class DemoItem:
    """A feedback item a tester reported while answering (by the n-th respondent)."""

    respondent: int
    brick: str
    location: str
    kind: str
    severity: str
    title: str
    description: str = ""


PILOT_ITEMS: dict[str, DemoItem] = {
    "subtitles": DemoItem(
        1, "Bienvenue dans l'Académie Digitale", "00:45", "issue", "major",
        "Pas de sous-titres dans la vidéo d'accueil",
        "En open space, impossible d'écouter sans casque : des sous-titres rendraient la vidéo "
        "accessible à tous.",
    ),
    "video": DemoItem(
        3, "Travailler avec les outils collaboratifs", "Lancement", "issue", "blocking",
        "La vidéo ne démarre pas sur les postes d'agence",
        "Écran noir, puis « format non pris en charge » dans le navigateur des postes d'agence.",
    ),
    "quiz": DemoItem(
        5, "Phishing : les bons réflexes", "Fin de la vidéo", "idea", "minor",
        "Un quiz pour s'entraîner à repérer les faux courriels",
        "Après la vidéo, quelques courriels à classer (vrai ou piège) pour vérifier qu'on a "
        "compris.",
    ),
    "praise": DemoItem(
        8, "Phishing : les bons réflexes", "", "praise", "minor",
        "Des exemples très réalistes",
        "Les faux courriels ressemblent vraiment à ceux reçus en agence le mois dernier.",
    ),
    "question": DemoItem(
        12, "Travailler avec les outils collaboratifs", "", "question", "minor",
        "Ces modules comptent-ils dans le plan de développement des compétences ?",
    ),
    "again": DemoItem(
        15, "Bienvenue dans l'Académie Digitale", "", "issue", "minor", "Sous-titres SVP",
        "Même remarque que d'autres : pas de sous-titres.",
    ),
}  # fmt: skip
SOCLE_ITEMS: dict[str, DemoItem] = {
    "blocking": DemoItem(
        0, "RGPD : l'essentiel pour tous", "Quiz final, question 7", "issue", "blocking",
        "Le quiz final bloque à la question 7",
        "Le bouton « Valider » reste grisé après la réponse : impossible de terminer le module.",
    ),
    "link": DemoItem(
        2, "Les fondamentaux du numérique", "Semaine 2, séquence 3", "issue", "major",
        "Lien mort vers la ressource sur le cloud",
        "Le lien « Pour aller plus loin » renvoie une erreur 404.",
    ),
    "memo": DemoItem(
        4, "Animer une réunion à distance", "Fin de la classe virtuelle", "idea", "minor",
        "Une fiche mémo à télécharger",
        "Un récapitulatif d'une page des bonnes pratiques pour animer à distance.",
    ),
    "praise": DemoItem(
        7, "Webinaire : IA et éthique", "", "praise", "minor", "Un débat passionnant",
        "Les exemples tirés de la banque parlent à tout le monde.",
    ),
    "mobile": DemoItem(
        9, "Mots de passe et authentification forte", "", "question", "minor",
        "Le gestionnaire de mots de passe est-il disponible sur mobile ?",
    ),
}  # fmt: skip
# Thomas Nguyen (a demo tester) has a draft and reported this while answering.
THOMAS_ITEM = DemoItem(
    0, "Rédiger un bon prompt", "Écran 3", "issue", "cosmetic",
    "Coquille : « promt » au lieu de « prompt »",
)  # fmt: skip


# -- Time: the story is played in the past ----------------------------------------------------


class _Clock:
    """The time the services read while the story is played."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class _Calendar:
    """Story days: working days counted from Sprint 1's first Monday (day 0).

    Sprint 1 ran on days 0-9 (two weeks ago to last week); Sprint 2 started on day 10, a
    Monday two to eight days ago, so that days up to 11 are always in the past.
    """

    def __init__(self, now: dt.datetime, tz: ZoneInfo) -> None:
        self.now = now
        self.tz = tz
        self.today = now.astimezone(tz).date()
        monday = self.today - dt.timedelta(days=self.today.weekday())
        if (self.today - monday).days < 2:
            monday -= dt.timedelta(days=7)
        self.sprint2_start = monday
        self.sprint1_start = monday - dt.timedelta(days=14)

    def day(self, workday: int) -> dt.date:
        weeks, rest = divmod(workday, 5)
        return self.sprint1_start + dt.timedelta(days=7 * weeks + rest)

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz)
        return (moment + dt.timedelta(minutes=minute)).astimezone(dt.UTC)

    def at(self, workday: int, hour: int, minute: int = 0) -> dt.datetime:
        return self.local(self.day(workday), hour, minute)

    def answer_times(self, start: dt.datetime, end: dt.datetime, count: int) -> list[dt.datetime]:
        """`count` moments spread between `start` and `end`, in office hours on working days."""
        slots: list[dt.datetime] = []
        day = start.astimezone(self.tz).date()
        while day <= end.astimezone(self.tz).date():
            if day.weekday() < 5:
                for hour in range(9, 18):
                    for minute in (12, 41):
                        moment = self.local(day, hour, minute)
                        if start < moment < end:
                            slots.append(moment)
            day += dt.timedelta(days=1)
        assert len(slots) >= count, "the story gives the testers too little time"
        return [slots[(2 * n + 1) * len(slots) // (2 * count)] for n in range(count)]


# -- The story ------------------------------------------------------------------------------------


class _Story:
    """Plans every event of the demo's past with its moment, then plays them in time order
    through the services, the clock set to each event's moment."""

    def __init__(
        self,
        session: Session,
        academy: Academy,
        users: dict[str, User],
        *,
        secret_key: str,
        base_url: str,
        tz: ZoneInfo,
        now: dt.datetime,
    ) -> None:
        self.session = session
        self.academy = academy
        self.users = dict(users)
        self.secret_key = secret_key
        self.base_url = base_url
        self.now = now
        self.cal = _Calendar(now, tz)
        self.clock = _Clock(now)
        self.steps: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.stages = list(
            session.scalars(
                select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
            )
        )
        self.paths: dict[str, LearningPath] = {}
        self.releases: dict[str, Release] = {}
        self.bricks: dict[str, Brick] = {}
        self.sprints: dict[str, Sprint] = {}
        self.rounds: dict[str, FeedbackRound] = {}
        self.items: dict[str, FeedbackItem] = {}
        self.manager = users[MANAGER_EMAIL]
        self.designer = users[DESIGNER_EMAIL]

    # -- Playing ---------------------------------------------------------------------------

    def plan(self, moment: dt.datetime, action: Callable[[], object]) -> None:
        self.steps.append((moment, len(self.steps), action))

    def play(self) -> None:
        self.plan_planning()
        self.plan_needs()
        self.plan_panel()
        self.plan_pilot()
        self.plan_sprints()
        self.plan_socle_beta()
        self.plan_comments()
        for moment, _order, action in sorted(self.steps, key=lambda s: (s[0], s[1])):
            assert moment < self.now, "the demo's story is all in the past"
            self.clock.now = moment
            action()
        self.session.flush()

    # -- Paths, releases, bricks -------------------------------------------------------------

    def plan_planning(self) -> None:
        cal = self.cal
        self.plan(cal.at(-33, 9), self.create_paths)
        targets = {
            PILOT: cal.day(-3),
            SOCLE: cal.today + dt.timedelta(days=14),
            DATA_CYBER: cal.sprint2_start + dt.timedelta(weeks=10, days=4),
            HYBRID: cal.sprint2_start + dt.timedelta(weeks=20, days=4),
        }
        for n, release in enumerate(DEMO_RELEASES):
            self.plan(
                cal.at(-33, 9, 30 + n),
                partial(self.create_release, release, targets[release.name]),
            )
        for n, brick in enumerate(DEMO_BRICKS):
            self.plan(
                cal.at(-28 + n // 6, 9, 30 + (n % 6) * 25),
                partial(self.create_brick, brick),
            )
        for n, brick in enumerate((*DEMO_BRICKS, QUIZ_FROM_FEEDBACK)):
            for step, workday in enumerate(brick.moves, start=1):
                self.plan(
                    cal.at(workday, 10, step * 7 + n * 2),
                    partial(self.move, brick, step),
                )

    def create_paths(self) -> None:
        for path in DEMO_PATHS:
            self.paths[path.name] = paths_services.create_path(
                self.session,
                self.academy,
                name=path.name,
                colour=path.colour,
                description=path.description,
                target_population=path.population,
            )

    def create_release(self, release: DemoRelease, target: dt.date) -> None:
        self.releases[release.name] = release_services.create_release(
            self.session,
            self.academy,
            name=release.name,
            goal=release.goal,
            target_date=target,
            actor=self.manager,
            now=self.clock.now,
        )

    def brick_values(self, brick: DemoBrick) -> dict[str, object]:
        return {
            "summary": brick.summary,
            "learner_minutes": brick.minutes,
            "estimate_points": brick.points,
            "release_id": self.releases[brick.release].id if brick.release else None,
            "learning_path_id": self.paths[brick.path].id if brick.path else None,
            "owner_id": self.users[brick.owner].id,
            "vendor": brick.vendor,
            "target_audience": brick.audience,
            "language": "fr",
        }

    def create_brick(self, brick: DemoBrick) -> None:
        self.bricks[brick.title] = brick_services.create_brick(
            self.session,
            self.academy,
            actor=self.users[brick.owner],
            title=brick.title,
            format=brick.format,
            objectives=brick.objectives,
            now=self.clock.now,
            **self.brick_values(brick),
        )

    def move(self, demo: DemoBrick, step: int) -> None:
        """The brick's step to board column `step`, ticking its definition of done first."""
        brick = self.bricks[demo.title]
        stage = self.stages[step]
        owner = self.users[demo.owner]
        if stage.category == StageCategory.DONE:
            to_tick = list(brick.checklist)
        elif stage.category == StageCategory.REVIEW:
            to_tick = list(brick.checklist)[: len(brick.checklist) // 2]
        else:
            to_tick = []
        for item in to_tick:
            checklists.tick_checklist_item(
                self.session, brick, item, done=True, actor=owner, now=self.clock.now
            )
        # Where its rank puts it in the column: the backlog's order stays as it was.
        before = self.session.scalar(
            select(func.count(Brick.id)).where(
                Brick.stage_id == stage.id,
                Brick.id != brick.id,
                or_(
                    Brick.rank < brick.rank,
                    and_(Brick.rank == brick.rank, Brick.id < brick.id),
                ),
            )
        )
        board_services.move_brick(
            self.session,
            brick,
            stage,
            int(before or 0) + 1,
            actor=owner,
            expected_version=brick.version,
            now=self.clock.now,
        )

    # -- Training needs ----------------------------------------------------------------------

    def plan_needs(self) -> None:
        cal = self.cal
        for n, need in enumerate(DEMO_NEEDS):
            self.plan(cal.at(need.day, 14, n * 5), partial(self.submit_need, need))
            if need.bricks:  # traced to the bricks that answer it, once they exist
                self.plan(cal.at(max(need.day + 4, -22), 10, 55), partial(self.link_need, need))
            for status in need.statuses:
                if status == "accepted":
                    moment = cal.at(need.day + 2, 10, 30 + n)
                elif status == "planned":
                    moment = cal.at(max(need.day + 4, -22), 11, n)
                elif status == "delivered":
                    moment = cal.at(-3, 10)  # the pilot is released
                else:
                    moment = cal.at(need.day + 3, 15, n)
                self.plan(moment, partial(self.change_need, need, status))

    def submit_need(self, need: DemoNeed) -> None:
        needs_services.submit_need(
            self.session,
            self.academy,
            actor=self.users[STAKEHOLDER_EMAIL] if need.by_stakeholder else self.manager,
            title=need.title,
            description=need.description,
            business_unit=need.business_unit,
            requester_name=need.requester,
            population=need.population,
            headcount=need.headcount,
            criticality=need.criticality,
            urgency=need.urgency,
            now=self.clock.now,
        )

    def need(self, demo: DemoNeed) -> TrainingNeed:
        return self.session.scalars(
            select(TrainingNeed).where(
                TrainingNeed.academy_id == self.academy.id, TrainingNeed.title == demo.title
            )
        ).one()

    def link_need(self, demo: DemoNeed) -> None:
        need = self.need(demo)
        for title in demo.bricks:
            needs_services.link_brick(
                self.session, need, self.bricks[title], actor=self.manager, now=self.clock.now
            )

    def change_need(self, demo: DemoNeed, status: str) -> None:
        needs_services.change_need_status(
            self.session,
            self.need(demo),
            status,
            actor=self.manager,
            reason=demo.decline_reason,
            now=self.clock.now,
        )

    # -- The panel -----------------------------------------------------------------------------

    def plan_panel(self) -> None:
        self.plan(self.cal.at(-18, 11), self.import_panel)
        self.plan(self.cal.at(-18, 11, 20), self.create_segments)

    def import_panel(self) -> None:
        """The panel's file, as the DRH sent it, through the real import (dry run, then all)."""
        header = ["Nom", "E-mail", "Direction", "Métier", "Site", "Langue"]
        rows = [
            [t.name, t.email, t.business_unit, t.job_family, t.site, t.language]
            for t in DEMO_TESTERS
        ]
        data = spreadsheets.write_csv([header, *rows])
        plan = panel_import.plan_tester_import(self.session, self.academy, "panel-beta.csv", data)
        panel_import.import_testers(
            self.session,
            self.academy,
            plan,
            actor=self.manager,
            now=self.clock.now,
            base_url=self.base_url,
        )
        # Every tester accepts the panel's invitation (a click on the e-mail's button).
        for invitation in self.session.scalars(
            select(AcademyInvitation).where(
                AcademyInvitation.academy_id == self.academy.id,
                AcademyInvitation.accepted_at.is_(None),
                AcademyInvitation.revoked_at.is_(None),
            )
        ).all():
            user = accept_invitation(self.session, invitation, password=None, now=self.clock.now)
            panel.join_panel(self.session, invitation, user)
            self.users[user.email] = user

    def create_segments(self) -> None:
        for name, filters in DEMO_SEGMENTS:
            panel.create_segment(self.session, self.academy, name=name, filters=filters)

    # -- Rounds: answers and items -------------------------------------------------------------

    def create_round(
        self, key: str, release: str, closes_at: dt.datetime, *, anonymous: bool, text: str
    ) -> None:
        self.rounds[key] = create_round(
            self.session,
            self.academy,
            release_id=self.releases[release].id,
            title=key,
            instructions=text,
            closes_at=closes_at,
            anonymous=anonymous,
            actor=self.manager,
            now=self.clock.now,
        )

    def open_and_invite(self, key: str, emails: Sequence[str]) -> None:
        round_ = self.rounds[key]
        open_round(self.session, round_, actor=self.manager, now=self.clock.now)
        invite_testers(
            self.session,
            round_,
            [self.users[email].id for email in emails],
            secret_key=self.secret_key,
            base_url=self.base_url,
            now=self.clock.now,
        )

    def invitation(self, key: str, email: str) -> RoundInvitation:
        invitation = invitation_of(self.session, self.rounds[key], self.users[email].id)
        assert invitation is not None, f"{email} is not invited to {key}"
        return invitation

    def answer(
        self,
        key: str,
        email: str,
        scores: tuple[int, ...],
        time_spent: int | None,
        comment: str,
        *,
        submit: bool,
    ) -> None:
        """A tester's answers to the default questionnaire, saved as a draft or submitted."""
        round_ = self.rounds[key]
        questions = list(
            self.session.scalars(
                select(Question).where(Question.round_id == round_.id).order_by(Question.position)
            )
        )
        rating, recommend, apply, how_long, improve = questions
        values: dict[str, list[str]] = {}
        for question, score in zip((rating, recommend, apply), scores, strict=False):
            values[field_name(question.id)] = [str(score)]
        if time_spent is not None:
            values[field_name(how_long.id)] = [how_long.choices[time_spent]]
        if comment:
            values[field_name(improve.id)] = [comment]
        save_response(
            self.session,
            self.invitation(key, email),
            values,
            submit=submit,
            secret_key=self.secret_key,
            now=self.clock.now,
        )

    def report(self, key: str, name: str, email: str, item: DemoItem) -> None:
        self.items[name] = report_item(
            self.session,
            self.invitation(key, email),
            ItemInput(
                brick_id=self.bricks[item.brick].id,
                location=item.location,
                kind=item.kind,
                severity=item.severity,
                title=item.title,
                description=item.description,
            ),
            secret_key=self.secret_key,
            now=self.clock.now,
        )

    def triage(self, name: str, status: str, duplicate_of: str | None = None) -> None:
        triage.move_item(
            self.session,
            self.items[name],
            status,
            actor=self.designer,
            duplicate_of_id=self.items[duplicate_of].id if duplicate_of else None,
            now=self.clock.now,
        )

    def plan_answers(
        self,
        key: str,
        respondents: Sequence[tuple[str, bool]],
        times: Sequence[dt.datetime],
        scores: Sequence[list[int]],
        comments: tuple[tuple[str, ...], tuple[str, ...]],
        *,
        seed: int,
    ) -> None:
        """Each respondent's answers at their moment: scores paired so that a person's three
        scores agree more or less, as people's do; a comment from about two in three."""
        rng = random.Random(seed)
        submitted = sum(1 for _email, submit in respondents if submit)
        columns = [sorted(values, reverse=True) for values in scores]
        for column in columns[1:]:
            for _n in range(len(column)):
                i = rng.randrange(len(column) - 1)
                column[i], column[i + 1] = column[i + 1], column[i]
        rows = list(zip(*columns, strict=True))
        assert len(rows) == submitted
        rng.shuffle(rows)
        rows_iter = iter(rows)
        for (email, submit), moment in zip(respondents, times, strict=True):
            if submit:
                row = next(rows_iter)
                happy = row[0] >= 4
                comment = ""
                if email == DEMO_TESTER_EMAILS[2]:
                    comment = ENGLISH_COMMENT
                elif rng.random() < 0.65:
                    comment = rng.choice(comments[0] if happy else comments[1])
                time_spent = rng.choices(range(4), weights=(5, 4, 2, 1))[0]
                answer: tuple[tuple[int, ...], int | None, str] = (row, time_spent, comment)
            else:  # a draft: the first two questions only
                answer = ((rng.randint(3, 5), rng.randint(6, 9)), None, "")
            self.plan(
                moment,
                partial(self.answer, key, email, *answer, submit=submit),
            )

    # -- Increment 0: the pilot, tested, decided, released, its notes published -------------

    def plan_pilot(self) -> None:
        cal = self.cal
        others = [t.email for t in DEMO_TESTERS[3:]]
        invited = [*DEMO_TESTER_EMAILS, *others[: PILOT_INVITED - 3]]
        # Léa and Thomas answered; Inès did not; one colleague left a draft.
        answering = others[: PILOT_SUBMITTED - 2]
        answering[4:4] = [DEMO_TESTER_EMAILS[0]]
        answering[10:10] = [DEMO_TESTER_EMAILS[1]]
        respondents = [(email, True) for email in answering]
        respondents.insert(20, (others[PILOT_SUBMITTED - 2], False))
        closes_at = cal.at(-6, 18)
        times = cal.answer_times(cal.at(-15, 9, 30), cal.at(-7, 18), len(respondents))

        self.plan(
            cal.at(-16, 15),
            lambda: self.create_round(
                PILOT_ROUND, PILOT, closes_at, anonymous=True,
                text="Trois briques courtes à découvrir (20 minutes en tout). Vos réponses sont "
                "anonymes : dites-nous franchement ce qui marche et ce qui gêne.",
            ),
        )  # fmt: skip
        self.plan(cal.at(-15, 9), lambda: self.open_and_invite(PILOT_ROUND, invited))
        self.plan_answers(PILOT_ROUND, respondents, times, PILOT_SCORES, PILOT_COMMENTS, seed=1)
        self.plan_items(PILOT_ROUND, PILOT_ITEMS, respondents, times)
        triage_steps: list[tuple[dt.datetime, Callable[[], object]]] = [
            (cal.at(-14, 11), lambda: self.triage("video", "accepted")),
            (cal.at(-13, 10), lambda: self.triage("subtitles", "accepted")),
            (cal.at(-12, 17), lambda: self.triage("video", "done")),  # re-encoded
            (cal.at(-10, 16), lambda: self.triage("subtitles", "done")),  # subtitled
            (cal.at(-10, 16, 5), lambda: self.triage("again", "duplicate", "subtitles")),
            (cal.at(-9, 11), self.quiz_from_idea),
            (cal.at(-8, 10), lambda: self.triage("praise", "done")),
            (cal.at(-2, 10), lambda: self.triage("question", "done")),  # answered by the DRH
            (cal.at(3, 16), lambda: self.triage("quiz", "done")),  # its brick is done
        ]
        for moment, action in triage_steps:
            self.plan(moment, action)
        # Closed by the closing job at its deadline; then the go, the release and its notes.
        self.plan(
            closes_at,
            lambda: close_round(
                self.session, self.rounds[PILOT_ROUND], actor=None, now=self.clock.now
            ),
        )
        self.plan(cal.at(-5, 10), self.decide_pilot)
        self.plan(cal.at(-4, 16), self.draft_pilot_notes)
        self.plan(
            cal.at(-3, 9),
            lambda: release_services.mark_released(
                self.session, self.releases[PILOT], actor=self.manager, now=self.clock.now
            ),
        )
        self.plan(cal.at(-3, 9, 15), self.publish_pilot_notes)

    def plan_items(
        self,
        key: str,
        items: dict[str, DemoItem],
        respondents: Sequence[tuple[str, bool]],
        times: Sequence[dt.datetime],
    ) -> None:
        for name, item in items.items():
            email = respondents[item.respondent][0]
            self.plan(
                times[item.respondent] + dt.timedelta(minutes=3),
                partial(self.report, key, name, email, item),
            )

    def quiz_from_idea(self) -> None:
        """The designer turns a tester's idea into a backlog brick, linked both ways."""
        round_ = self.rounds[PILOT_ROUND]
        item = self.items["quiz"]
        brick = triage.create_brick_from_item(
            self.session,
            self.academy,
            round_,
            item,
            actor=self.designer,
            title=QUIZ_FROM_FEEDBACK.title,
            format=QUIZ_FROM_FEEDBACK.format,
            item_url=f"/a/{self.academy.slug}/rounds/{round_.id}/triage#item-{item.id}",
            now=self.clock.now,
        )
        self.bricks[brick.title] = brick

    def decide_pilot(self) -> None:
        release_services.record_decision(
            self.session,
            self.releases[PILOT],
            outcome="go",
            comment="Le panel a validé le format court. Les sous-titres et la vidéo sur les postes "
            "d'agence ont été corrigés pendant la bêta ; le quiz phishing suggéré par le "
            "panel entre au sprint 1.",
            actor=self.manager,
            now=self.clock.now,
        )

    def pilot_notes(self) -> str:
        body = release_notes.generate_notes(self.session, self.releases[PILOT])
        return (
            body
            + "\nMerci aux bêta-testeurs du panel : leurs retours ont rendu ce pilote possible, "
            "et donnent le ton des incréments suivants.\n"
        )

    def draft_pilot_notes(self) -> None:
        release_notes.save_notes_draft(
            self.session,
            self.releases[PILOT],
            body=self.pilot_notes(),
            actor=self.manager,
            now=self.clock.now,
        )

    def publish_pilot_notes(self) -> None:
        release_notes.publish_notes(
            self.session,
            self.releases[PILOT],
            body=self.pilot_notes(),
            actor=self.manager,
            now=self.clock.now,
            base_url=self.base_url,
        )

    # -- Sprints ----------------------------------------------------------------------------------

    def plan_sprints(self) -> None:
        cal = self.cal
        first, second, third = DEMO_SPRINTS
        s1, s2 = cal.sprint1_start, cal.sprint2_start
        s3 = s2 + dt.timedelta(days=14)
        self.plan(cal.at(-2, 14), lambda: self.create_sprint(first, s1))
        self.plan(cal.at(-1, 10), self.complete_quiz)
        self.plan(cal.at(-1, 10, 30), lambda: self.commit(first.name, SPRINT_1))
        self.plan(cal.at(0, 9, 30), lambda: self.start(first.name))
        self.plan(
            cal.at(5, 9, 45),
            lambda: self.commit(
                first.name,
                (SPRINT_1_ADDED,),
                reason="Demande de la Conformité après l'audit du réseau : à diffuser avant la "
                "fin du mois.",
            ),
        )
        self.plan(cal.at(7, 15), lambda: self.create_sprint(second, s2))
        self.plan(cal.at(8, 11), lambda: self.commit(second.name, SPRINT_2))
        self.plan(cal.at(10, 9), lambda: self.close(first.name, second.name))
        self.plan(cal.at(10, 9, 30), lambda: self.start(second.name))
        self.plan(cal.at(11, 11), lambda: self.create_sprint(third, s3))
        self.plan(cal.at(11, 11, 15), lambda: self.commit(third.name, SPRINT_3))

    def create_sprint(self, sprint: DemoSprint, start: dt.date) -> None:
        self.sprints[sprint.name] = sprint_services.create_sprint(
            self.session,
            self.academy,
            name=sprint.name,
            goal=sprint.goal,
            start_date=start,
            end_date=start + dt.timedelta(days=self.academy.sprint_length_days - 1),
            capacity_points=sprint.capacity,
        )

    def complete_quiz(self) -> None:
        """The manager completes the brick made from the idea and plans it with increment 1."""
        brick = self.bricks[QUIZ_FROM_FEEDBACK.title]
        brick_services.update_brick(
            self.session,
            brick,
            actor=self.manager,
            expected_version=brick.version,
            objectives=QUIZ_FROM_FEEDBACK.objectives,
            now=self.clock.now,
            **self.brick_values(QUIZ_FROM_FEEDBACK),
        )

    def commit(self, sprint: str, titles: Sequence[str], reason: str | None = None) -> None:
        sprint_services.commit_bricks(
            self.session,
            self.sprints[sprint],
            [self.bricks[title].number for title in titles],
            actor=self.manager,
            reason=reason,
            now=self.clock.now,
        )

    def start(self, sprint: str) -> None:
        sprint_services.start_sprint(
            self.session, self.sprints[sprint], actor=self.manager, now=self.clock.now
        )

    def close(self, sprint: str, next_sprint: str) -> None:
        """Closed at the review: what is not done goes on to the next sprint."""
        closing = self.sprints[sprint]
        target = self.sprints[next_sprint].id
        unfinished = sprint_services.unfinished_bricks(self.session, closing)
        sprint_services.close_sprint(
            self.session,
            closing,
            {brick.number: target for brick in unfinished},
            actor=self.manager,
            now=self.clock.now,
        )

    # -- Increment 1: in beta, its round open -------------------------------------------------

    def plan_socle_beta(self) -> None:
        cal = self.cal
        others = [t.email for t in DEMO_TESTERS[3:]]
        pool = others[12 : 12 + SOCLE_INVITED - 3]  # not all the same people as the pilot's
        invited = [*DEMO_TESTER_EMAILS, *pool]
        answering = pool[: SOCLE_SUBMITTED - 1]
        answering[5:5] = [DEMO_TESTER_EMAILS[2]]  # Inès answered; Léa has not started yet
        respondents = [(email, True) for email in answering]
        drafts = [DEMO_TESTER_EMAILS[1], pool[SOCLE_SUBMITTED - 1]]  # Thomas and a colleague
        respondents[3:3] = [(drafts[0], False)]
        respondents.append((drafts[1], False))
        opened = cal.at(10, 14)
        closes_at = cal.local(cal.today + dt.timedelta(days=10), 18)
        times = cal.answer_times(
            opened + dt.timedelta(minutes=20), self.now - dt.timedelta(hours=1), len(respondents)
        )

        self.plan(
            cal.at(9, 16),
            lambda: self.create_round(
                SOCLE_ROUND, SOCLE, closes_at, anonymous=False,
                text="Suivez les modules du socle digital à votre rythme d'ici la clôture, puis "
                "donnez votre avis. Signalez tout problème dès que vous le rencontrez, avec "
                "l'endroit précis (écran, minute de la vidéo).",
            ),
        )  # fmt: skip
        self.plan(opened, lambda: self.open_and_invite(SOCLE_ROUND, invited))
        self.plan_answers(SOCLE_ROUND, respondents, times, SOCLE_SCORES, SOCLE_COMMENTS, seed=2)
        self.plan_items(SOCLE_ROUND, SOCLE_ITEMS, respondents, times)
        thomas = respondents.index((drafts[0], False))
        self.plan(
            times[thomas] + dt.timedelta(minutes=4),
            lambda: self.report(SOCLE_ROUND, "typo", drafts[0], THOMAS_ITEM),
        )
        for name, status, delay in (("link", "accepted", 40), ("memo", "accepted", 50),
                                    ("typo", "done", 45)):  # fmt: skip
            index = thomas if name == "typo" else SOCLE_ITEMS[name].respondent
            self.plan(
                times[index] + dt.timedelta(minutes=delay),
                partial(self.triage, name, status),
            )

    # -- Comments on the bricks -----------------------------------------------------------------

    def plan_comments(self) -> None:
        cal = self.cal
        comments = (
            (cal.at(-24, 15), "Bienvenue dans l'Académie Digitale", MANAGER_EMAIL,
             "Script validé avec la direction de la communication. Tournage jeudi au siège."),
            (cal.at(6, 11), "Les fondamentaux du numérique", MANAGER_EMAIL,
             "Relecture faite avec la DSI : deux définitions à simplifier (API, cloud hybride)."),
            (cal.at(6, 15), "Les fondamentaux du numérique", DESIGNER_EMAIL,
             "C'est corrigé dans la version 1.2 livrée par LearnUp."),
            (cal.at(9, 14), "Rédiger un bon prompt", DESIGNER_EMAIL,
             "Exemples métiers relus par la Conformité : aucune donnée client dans les prompts."),
            (cal.at(11, 16), "Escape game cybersécurité", DESIGNER_EMAIL,
             "GameLab livre les énigmes vendredi ; test en agence pilote à Lille la semaine "
             "prochaine."),
        )  # fmt: skip
        for moment, title, author, body in comments:
            self.plan(
                moment,
                partial(self.comment, title, author, body),
            )

    def comment(self, title: str, author: str, body: str) -> None:
        brick_services.add_comment(
            self.session,
            self.bricks[title],
            author=self.users[author],
            body=body,
            now=self.clock.now,
        )
