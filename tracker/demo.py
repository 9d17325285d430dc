"""The demo academy ("Académie Digitale"): believable people and settings, created idempotently."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Role
from tracker.academies.services import add_member, create_academy
from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.auth.services import create_user, get_user_by_email

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
un backlog de modules, des sprints de deux semaines, et près de 200 bêta-testeurs qui évaluent
chaque incrément avant sa mise en place.

- Parcours « Culture digitale » pour tous les collaborateurs
- Parcours « Data & IA » pour les métiers
- Parcours « Sécurité du SI » avec la DSI
"""


def seed_demo(session: Session, *, password: str) -> tuple[Academy, list[DemoPerson]]:
    """Create (or bring back to its initial access) the demo academy and its people.

    Running it again changes nothing but the demo people's password and roles.
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
    _seed_planning(session, academy, users)
    return academy, list(DEMO_PEOPLE)


# -- The planning content: paths, releases, a sprint, bricks, training needs --------------------
#
# Everything is found by its natural key (name, title) before being created, so that running
# the seed again creates nothing twice and leaves what people changed in the demo alone.

MANAGER_EMAIL = f"sophie.rosier@{DEMO_DOMAIN}"
DESIGNER_EMAIL = f"karim.benali@{DEMO_DOMAIN}"
STAKEHOLDER_EMAIL = f"marc.lefevre@{DEMO_DOMAIN}"


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
    weeks_ahead: int


DEMO_RELEASES: tuple[DemoRelease, ...] = (
    DemoRelease(
        "Incrément 1 — Socle digital",
        "Donner à tous les collaborateurs le **socle commun** : outils collaboratifs, "
        "réflexes de cybersécurité et RGPD. Évalué par le panel de bêta-testeurs avant "
        "l'ouverture à tous.",
        3,
    ),
    DemoRelease(
        "Incrément 2 — Data & Cyber",
        "La data au service des métiers et un escape game cybersécurité pour les agences.",
        10,
    ),
    DemoRelease(
        "Incrément 3 — Management hybride",
        "Le parcours des managers de proximité, co-construit avec la DRH.",
        20,
    ),
)

DEMO_SPRINT = "Sprint 1 — Socle digital"


@dataclass(frozen=True)
class DemoBrick:
    title: str
    format: str
    minutes: int
    points: int
    stage: int  # position of the academy's stage: 0 backlog … 5 done
    path: str | None
    release: int | None  # index in DEMO_RELEASES
    in_sprint: bool
    owner: str  # e-mail
    summary: str
    objectives: tuple[tuple[str, str], ...] = ()
    vendor: str = ""
    audience: str = ""


_C, _D, _S, _M = (p.name for p in DEMO_PATHS)
_K, _SR = DESIGNER_EMAIL, MANAGER_EMAIL

# In backlog order: what ships first comes first.
DEMO_BRICKS: tuple[DemoBrick, ...] = (
    DemoBrick("Bienvenue dans l'Académie Digitale", "video", 4, 1, 5, None, 0, False, _SR,
              "Une vidéo d'accueil : ce que propose l'Académie et comment s'y retrouver.",
              (("Situer les parcours de l'Académie", "remember"),), "Studio Pixel", "Tous"),
    DemoBrick("Les fondamentaux du numérique", "mooc", 180, 8, 5, _C, 0, False, _K,
              "Cloud, données, API, cybersécurité : les notions clés en six semaines.",
              (("Expliquer ce que sont le cloud, la donnée et une API", "understand"),
               ("Identifier les usages numériques de son métier", "apply")),
              "LearnUp", "Tous les collaborateurs"),
    DemoBrick("Travailler avec les outils collaboratifs", "video", 12, 3, 5, _C, 0, False, _K,
              "Partager, co-éditer et retrouver un document sans pièce jointe.",
              (("Co-éditer un document partagé", "apply"),), "Studio Pixel",
              "Tous les collaborateurs"),
    DemoBrick("Animer une réunion à distance", "virtual_class", 90, 5, 5, _C, 0, False, _SR,
              "Classe virtuelle : préparer, animer et conclure une réunion en visio.",
              (("Animer une réunion à distance de 45 minutes", "apply"),), "",
              "Managers et chefs de projet"),
    DemoBrick("Phishing : les bons réflexes", "video", 6, 3, 5, _S, 0, False, _K,
              "Reconnaître un courriel piégé en cinq indices, et le signaler.",
              (("Reconnaître un courriel d'hameçonnage", "analyze"),
               ("Signaler un courriel suspect à la DSI", "apply")),
              "Studio Pixel", "Tous les collaborateurs"),
    DemoBrick("RGPD : l'essentiel pour tous", "elearning_module", 35, 5, 5, _S, 0, False, _K,
              "Les règles de base de la protection des données personnelles.",
              (("Citer les principes du RGPD", "remember"),
               ("Appliquer les règles de conservation des données clients", "apply")),
              "Axiome Formation", "Tous les collaborateurs"),
    DemoBrick("Webinaire : IA et éthique", "webinar", 60, 3, 5, _D, 0, False, _SR,
              "Un débat d'une heure avec la DSI et la Conformité sur les usages de l'IA.",
              (("Évaluer les risques d'un usage de l'IA", "evaluate"),), "",
              "Tous les collaborateurs"),
    DemoBrick("Mots de passe et authentification forte", "micro_learning", 7, 2, 4, _S, 0,
              False, _K, "Trois minutes pour adopter une phrase de passe et la double "
              "authentification.", (("Créer une phrase de passe robuste", "apply"),),
              "", "Tous les collaborateurs"),
    DemoBrick("Rédiger un bon prompt", "micro_learning", 8, 2, 4, _D, 0, False, _K,
              "La structure d'un prompt efficace, avec des exemples métiers.",
              (("Rédiger un prompt précis pour une tâche de son métier", "create"),), "",
              "Équipes métiers"),
    DemoBrick("Quiz : êtes-vous digital ready ?", "micro_learning", 10, 2, 4, _C, 0, False, _K,
              "Un autodiagnostic pour choisir ses modules.",
              (("Évaluer son niveau de maturité numérique", "evaluate"),), "",
              "Tous les collaborateurs"),
    DemoBrick("Podcast — Les métiers de demain", "podcast", 25, 2, 3, _C, 1, True, _SR,
              "Trois épisodes : des collaborateurs racontent comment leur métier change.",
              (("Décrire l'évolution de son métier", "understand"),), "Studio Pixel",
              "Tous les collaborateurs"),
    DemoBrick("Escape game cybersécurité", "serious_game", 40, 13, 3, _S, 1, True, _K,
              "Une agence piratée à remettre en état en 40 minutes, en équipe.",
              (("Réagir à un incident de sécurité", "apply"),
               ("Analyser les failles d'un poste de travail", "analyze")),
              "GameLab", "Conseillers en agence"),
    DemoBrick("Data literacy : lire un tableau de bord", "spoc", 240, 13, 3, _D, 1, True, _K,
              "Un SPOC tutoré de quatre semaines, avec des cas issus des agences.",
              (("Interpréter les indicateurs d'un tableau de bord", "analyze"),
               ("Justifier une décision par la donnée", "evaluate")),
              "LearnUp", "Directeurs d'agence et managers"),
    DemoBrick("L'IA générative au quotidien", "mooc", 150, 8, 2, _D, 1, True, _K,
              "Usages, limites et règles de l'IA générative dans le groupe.",
              (("Expliquer le fonctionnement d'un modèle de langage", "understand"),
               ("Utiliser un assistant IA dans le respect des règles du groupe", "apply")),
              "LearnUp", "Tous les collaborateurs"),
    DemoBrick("Réseaux sociaux professionnels : soigner son profil", "elearning_module", 30, 3,
              2, _C, 1, True, _SR, "Construire un profil qui sert l'image du groupe.",
              (("Rédiger un profil professionnel", "create"),), "", "Tous les collaborateurs"),
    DemoBrick("Lutte contre le blanchiment (LCB-FT)", "elearning_module", 45, 8, 2, _S, 1, False,
              _K, "Le module réglementaire annuel, refondu avec la Conformité.",
              (("Identifier une opération atypique", "analyze"),), "Axiome Formation",
              "Chargés de clientèle"),
    DemoBrick("Serious game : Data Detective", "serious_game", 45, 13, 1, _D, 1, False, _K,
              "Une enquête où chaque indice est un graphique à lire.",
              (("Repérer un biais dans une visualisation", "analyze"),), "GameLab",
              "Équipes métiers"),
    DemoBrick("Manager une équipe hybride", "spoc", 300, 13, 1, _M, 2, False, _SR,
              "Le SPOC des managers : rituels, confiance, charge de travail.",
              (("Organiser les rituels d'une équipe hybride", "apply"),
               ("Évaluer la charge de travail de son équipe", "evaluate")),
              "", "Managers de proximité"),
    DemoBrick("Sécurité en télétravail", "podcast", 20, 2, 1, _S, None, False, _K,
              "Wi-Fi, écrans partagés, impressions : les risques du travail hors les murs.",
              (("Identifier les risques de son poste en télétravail", "understand"),), "",
              "Tous les collaborateurs"),
    DemoBrick("Excel : tableaux croisés dynamiques", "elearning_module", 40, 5, 0, _D, None,
              False, _K, "Construire et lire un tableau croisé dynamique.",
              (("Construire un tableau croisé dynamique", "apply"),), "Axiome Formation",
              "Assistants et gestionnaires"),
    DemoBrick("Power BI pour débutants", "virtual_class", 180, 8, 0, _D, None, False, _SR,
              "Deux classes virtuelles pour publier son premier rapport.",
              (("Publier un rapport Power BI", "create"),), "", "Contrôleurs de gestion"),
    DemoBrick("Fiche réflexe : protéger les données clients", "document", 5, 1, 0, _S, None,
              False, _K, "Une page à garder sous la main.",
              (("Appliquer les bons réflexes de protection des données", "apply"),), "",
              "Conseillers en agence"),
    DemoBrick("Simulation d'attaque : exercice de crise", "face_to_face", 210, 8, 0, _S, None,
              False, _SR, "Une demi-journée en présentiel avec la cellule de crise de la DSI.",
              (("Coordonner la réponse à une cyberattaque", "evaluate"),), "",
              "Comité de direction et managers"),
    DemoBrick("Communauté d'entraide digitale", "social_learning", 60, 5, 0, _C, None, False,
              _SR, "Des ambassadeurs digitaux qui répondent aux questions de leurs collègues.",
              (("Partager une astuce numérique avec ses collègues", "apply"),), "",
              "Tous les collaborateurs"),
    DemoBrick("Classe inversée : le cloud expliqué", "blended", 120, 8, 0, _C, None, False, _K,
              "Une vidéo à voir avant, un atelier pour manipuler ensemble.",
              (("Expliquer les modèles de cloud", "understand"),), "", "Équipes support"),
    DemoBrick("Feedback à distance : les bons gestes", "video", 9, 3, 0, _M, None, False, _K,
              "Donner un feedback utile en visio, sans malentendu.",
              (("Formuler un feedback constructif à distance", "apply"),), "Studio Pixel",
              "Managers de proximité"),
    DemoBrick("Atelier codéveloppement managers", "face_to_face", 180, 5, 0, _M, None, False,
              _SR, "Des groupes de six managers qui résolvent ensemble un cas réel.",
              (("Analyser une situation managériale avec ses pairs", "analyze"),), "",
              "Managers de proximité"),
    DemoBrick("Webinaire : droit à la déconnexion", "webinar", 45, 2, 0, _M, None, False, _SR,
              "Ce que dit l'accord d'entreprise, et comment le faire vivre.",
              (("Expliquer l'accord sur le droit à la déconnexion", "understand"),), "",
              "Managers de proximité"),
    DemoBrick("Conduire le changement digital", "blended", 240, 13, 0, _M, None, False, _SR,
              "Accompagner son équipe dans un changement d'outil ou de process.",
              (("Construire le plan d'accompagnement d'un changement", "create"),),
              "Axiome Formation", "Managers de proximité"),
    DemoBrick("Podcast — Paroles de managers", "podcast", 30, 2, 0, _M, None, False, _K,
              "Des managers racontent leur première année en hybride.",
              (("Décrire les pratiques d'autres managers", "understand"),), "",
              "Managers de proximité"),
)  # fmt: skip


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
    description: str = ""
    decline_reason: str = ""
    by_stakeholder: bool = False


DEMO_NEEDS: tuple[DemoNeed, ...] = (
    DemoNeed("Sensibiliser les conseillers au phishing", "Banque de détail",
             "Nathalie Girard, directrice du réseau", "Conseillers en agence", 1800, 5, 5,
             ("accepted", "planned"), ("Phishing : les bons réflexes", "Escape game cybersécurité"),
             "Trois tentatives de fraude par courriel ont visé les agences ce trimestre.",
             by_stakeholder=True),
    DemoNeed("Maîtriser les outils collaboratifs", "DRH", "Julien Morel, RRH",
             "Tous les collaborateurs", 4200, 3, 3, ("accepted", "planned", "delivered"),
             ("Travailler avec les outils collaboratifs", "Animer une réunion à distance"),
             "Accompagner le déploiement de la suite collaborative."),
    DemoNeed("Former les managers au travail hybride", "DRH", "Claire Fontaine, DRH adjointe",
             "Managers de proximité", 350, 4, 3, ("accepted",), ("Manager une équipe hybride",),
             "Suite à l'accord télétravail, les managers demandent des repères."),
    DemoNeed("Comprendre l'IA générative et ses risques", "DSI", "Antoine Leroy, DSI",
             "Tous les collaborateurs", 4200, 4, 4, ("accepted", "planned"),
             ("L'IA générative au quotidien", "Rédiger un bon prompt",
              "Webinaire : IA et éthique"),
             "Les usages se multiplient hors de tout cadre : il faut un socle commun."),
    DemoNeed("Obligations LCB-FT des chargés de clientèle", "Conformité",
             "Sandrine Blanc, responsable conformité", "Chargés de clientèle", 900, 5, 4,
             ("accepted",), ("Lutte contre le blanchiment (LCB-FT)",),
             "Exigence réglementaire : formation annuelle tracée."),
    DemoNeed("RGPD : rappel annuel", "Conformité", "Sandrine Blanc, responsable conformité",
             "Tous les collaborateurs", 4200, 5, 2, ("accepted", "planned", "delivered"),
             ("RGPD : l'essentiel pour tous",)),
    DemoNeed("Lire les tableaux de bord commerciaux", "Banque de détail",
             "Nathalie Girard, directrice du réseau", "Directeurs d'agence", 220, 3, 4, (), (),
             "Les directeurs d'agence reçoivent un nouveau tableau de bord en janvier.",
             by_stakeholder=True),
    DemoNeed("Python pour les actuaires", "Direction des risques", "Paul Henry, actuaire",
             "Actuaires", 25, 2, 2, ("declined",), (),
             "Automatiser les calculs de provisions.",
             decline_reason="Trop spécialisé pour l'Académie : l'offre du prestataire "
             "référencé par la DRH y répond déjà."),
    DemoNeed("Prendre la parole en visioconférence", "DRH", "Marc Lefèvre", "Tous les "
             "collaborateurs", 4200, 2, 2, (), (), by_stakeholder=True),
)  # fmt: skip


def _seed_planning(session: Session, academy: Academy, users: dict[str, User]) -> None:
    """Paths, releases, a planned sprint, ~30 bricks and training needs (idempotent)."""
    import datetime as dt

    from tracker.academies.models import Stage
    from tracker.backlog import needs_services, paths_services
    from tracker.backlog import services as brick_services
    from tracker.backlog.checklists import ensure_default_checklists, tick_checklist_item
    from tracker.backlog.models import Brick, LearningPath, TrainingNeed
    from tracker.db import utcnow
    from tracker.releases import services as release_services
    from tracker.releases.models import Release
    from tracker.sprints import services as sprint_services
    from tracker.sprints.models import Sprint

    manager = users[MANAGER_EMAIL]
    today = utcnow().date()
    ensure_default_checklists(session, academy)

    paths: dict[str, LearningPath] = {
        p.name: p for p in paths_services.list_paths(session, academy)
    }
    for demo_path in DEMO_PATHS:
        if demo_path.name not in paths:
            paths[demo_path.name] = paths_services.create_path(
                session,
                academy,
                name=demo_path.name,
                colour=demo_path.colour,
                description=demo_path.description,
                target_population=demo_path.population,
            )

    releases: list[Release] = []
    for demo_release in DEMO_RELEASES:
        release = session.scalar(
            select(Release).where(
                Release.academy_id == academy.id, Release.name == demo_release.name
            )
        )
        if release is None:
            release = release_services.create_release(
                session,
                academy,
                name=demo_release.name,
                goal=demo_release.goal,
                target_date=today + dt.timedelta(weeks=demo_release.weeks_ahead),
                actor=manager,
            )
        releases.append(release)

    sprint = session.scalar(
        select(Sprint).where(Sprint.academy_id == academy.id, Sprint.name == DEMO_SPRINT)
    )
    if sprint is None:
        start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)  # next Monday
        sprint = sprint_services.create_sprint(
            session,
            academy,
            name=DEMO_SPRINT,
            goal="Produire les contenus de l'incrément 2 et boucler la relecture de l'incrément 1.",
            start_date=start,
            end_date=start + dt.timedelta(days=academy.sprint_length_days - 1),
            capacity_points=40,
        )

    stages = list(
        session.scalars(
            select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
        )
    )
    existing = {
        b.title: b for b in session.scalars(select(Brick).where(Brick.academy_id == academy.id))
    }
    for demo_brick in DEMO_BRICKS:
        if demo_brick.title in existing:
            continue
        owner = users[demo_brick.owner]
        brick = brick_services.create_brick(
            session,
            academy,
            actor=owner,
            title=demo_brick.title,
            format=demo_brick.format,
            objectives=demo_brick.objectives,
            summary=demo_brick.summary,
            learner_minutes=demo_brick.minutes,
            estimate_points=demo_brick.points,
            stage_id=stages[min(demo_brick.stage, len(stages) - 1)].id,
            sprint_id=sprint.id if demo_brick.in_sprint else None,
            release_id=releases[demo_brick.release].id if demo_brick.release is not None else None,
            learning_path_id=paths[demo_brick.path].id if demo_brick.path else None,
            owner_id=owner.id,
            vendor=demo_brick.vendor,
            target_audience=demo_brick.audience,
            language="fr",
        )
        if brick.stage.category.value == "done":
            for item in brick.checklist:
                tick_checklist_item(session, brick, item, done=True, actor=owner)
        existing[brick.title] = brick

    known_needs = set(
        session.scalars(select(TrainingNeed.title).where(TrainingNeed.academy_id == academy.id))
    )
    for demo_need in DEMO_NEEDS:
        if demo_need.title in known_needs:
            continue
        need = needs_services.submit_need(
            session,
            academy,
            actor=users[STAKEHOLDER_EMAIL] if demo_need.by_stakeholder else manager,
            title=demo_need.title,
            description=demo_need.description,
            business_unit=demo_need.business_unit,
            requester_name=demo_need.requester,
            population=demo_need.population,
            headcount=demo_need.headcount,
            criticality=demo_need.criticality,
            urgency=demo_need.urgency,
        )
        for title in demo_need.bricks:
            needs_services.link_brick(session, need, existing[title], actor=manager)
        for status in demo_need.statuses:
            needs_services.change_need_status(
                session, need, status, actor=manager, reason=demo_need.decline_reason
            )
    session.flush()
