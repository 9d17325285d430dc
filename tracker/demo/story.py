"""The demo's story as data: the people of a training academy at a large French bank, its
paths, increments, bricks and their moves on the board, training needs, the beta panel, the
rounds' answers and items, the sprints. The player (player.py, timeline.py) plays it.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from tracker.academies.models import Role

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
    # The story's working day (see clock.Calendar) of each step to the next board column: the
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

# What the manager wrote on the way.
PILOT_ROUND_TEXT = (
    "Trois briques courtes à découvrir (20 minutes en tout). Vos réponses sont "
    "anonymes : dites-nous franchement ce qui marche et ce qui gêne."
)
SOCLE_ROUND_TEXT = (
    "Suivez les modules du socle digital à votre rythme d'ici la clôture, puis "
    "donnez votre avis. Signalez tout problème dès que vous le rencontrez, avec "
    "l'endroit précis (écran, minute de la vidéo)."
)
PILOT_DECISION = (
    "Le panel a validé le format court. Les sous-titres et la vidéo sur les postes "
    "d'agence ont été corrigés pendant la bêta ; le quiz phishing suggéré par le "
    "panel entre au sprint 1."
)
PILOT_NOTES_THANKS = (
    "\nMerci aux bêta-testeurs du panel : leurs retours ont rendu ce pilote possible, "
    "et donnent le ton des incréments suivants.\n"
)
SPRINT_1_ADDED_REASON = (
    "Demande de la Conformité après l'audit du réseau : à diffuser avant la fin du mois."
)


# -- Comments on the bricks: (working day, hour, brick, author, body) ---------------------------

DEMO_COMMENTS: tuple[tuple[int, int, str, str, str], ...] = (
    (-24, 15, "Bienvenue dans l'Académie Digitale", MANAGER_EMAIL,
     "Script validé avec la direction de la communication. Tournage jeudi au siège."),
    (6, 11, "Les fondamentaux du numérique", MANAGER_EMAIL,
     "Relecture faite avec la DSI : deux définitions à simplifier (API, cloud hybride)."),
    (6, 15, "Les fondamentaux du numérique", DESIGNER_EMAIL,
     "C'est corrigé dans la version 1.2 livrée par LearnUp."),
    (9, 14, "Rédiger un bon prompt", DESIGNER_EMAIL,
     "Exemples métiers relus par la Conformité : aucune donnée client dans les prompts."),
    (11, 16, "Escape game cybersécurité", DESIGNER_EMAIL,
     "GameLab livre les énigmes vendredi ; test en agence pilote à Lille la semaine "
     "prochaine."),
)  # fmt: skip
