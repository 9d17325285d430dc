"""The LMS-export import: an LMS's completion report (CSV or XLSX), one row per learner and
course, turned into pseudonymous learner facts. The flow (upload, dry run, confirm; all rows or
none) is the shared one (tracker/imports.py, tracker/imports_web.py).

Columns: learner_id and course_id are required; business_unit, enrolment_date,
completion_date, status, score (a percentage, 0 to 100) and time_spent (minutes, 1h30, 1:30:00
or an ISO 8601 duration) are optional. Each academy maps its report's headers once (a preset for
the usual LMSs, or its own); the headers an import used are remembered for the next one.

What a row gives: an `enrolled` fact, and a `completed`, `passed` or `failed` fact when its
status (or a completion date) says so, with the score and the time spent. A row's facts are keyed
by the course, the learner's pseudonym and the verb: importing an updated report replaces them
(imports never add a learner twice). A row of a brick's pre-assessment course (its "LMS course of
the pre-assessment") gives the same facts with the phase "pre": a "before" score only, never an
enrolment in or a completion of the brick.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from tracker import spreadsheets
from tracker.academies.models import Academy
from tracker.errors import DomainError
from tracker.imports import (
    Column,
    ImportPlan,
    ImportRow,
    data_rows,
    normalize,
    read_header,
    upload_expired,
)
from tracker.learning import services, xapi
from tracker.learning.models import ActivityKind, FactPhase, FactSource, FactVerb, LearnerFact
from tracker.spreadsheets import ImportFileError

# An LMS report is larger than a backlog: up to 100,000 rows and 32 MB a file.
MAX_ROWS = 100_000
MAX_BYTES = 32 * 1024 * 1024
BATCH = 1000

FIELDS = (
    "learner_id",
    "business_unit",
    "course_id",
    "enrolment_date",
    "completion_date",
    "status",
    "score",
    "time_spent",
)
COLUMNS: tuple[Column, ...] = (
    Column("learner_id", ("learner", "apprenant", "identifiant apprenant", "user id", "username"),
           required=True, max_length=200),
    Column("business_unit", ("bu", "entité", "entite", "department", "direction", "branch"),
           max_length=120),
    Column("course_id", ("course", "cours", "identifiant cours", "course code", "module"),
           required=True, max_length=500),
    Column("enrolment_date", ("enrollment date", "date d'inscription", "inscription",
                              "enrolled on")),
    Column("completion_date", ("date de fin", "date d'achèvement", "completed on",
                               "completion")),
    Column("status", ("statut", "état", "etat", "completion status")),
    Column("score", ("note", "grade", "résultat", "resultat", "final score")),
    Column("time_spent", ("temps passé", "temps passe", "durée", "duree", "time")),
    # Kept only in named mode (learner_identity, erased after the retention); ignored otherwise.
    Column("learner_name", ("name", "nom", "full name", "nom complet"), max_length=200),
    Column("learner_email", ("email", "e-mail", "courriel", "mail"), max_length=320),
)  # fmt: skip

# The headers of the usual reports, as starting points an academy adjusts on its settings page.
PRESETS: dict[str, dict[str, str]] = {
    "moodle": {
        "learner_id": "ID number", "business_unit": "Department", "course_id": "Course short name",
        "enrolment_date": "Time enrolled", "completion_date": "Time completed",
        "status": "Completion status", "score": "Grade", "time_spent": "Time spent",
    },
    "docebo": {
        "learner_id": "Username", "business_unit": "Branch", "course_id": "Course code",
        "enrolment_date": "Enrollment date", "completion_date": "Completion date",
        "status": "Enrollment status", "score": "Final score", "time_spent": "Session time",
    },
    "360learning": {
        "learner_id": "User ID", "business_unit": "Group", "course_id": "Course ID",
        "enrolment_date": "Enrollment date", "completion_date": "Completion date",
        "status": "Status", "score": "Score", "time_spent": "Time spent",
    },
    "cornerstone": {
        "learner_id": "User ID", "business_unit": "Division", "course_id": "Training ID",
        "enrolment_date": "Registration date", "completion_date": "Completion date",
        "status": "Transcript status", "score": "Score", "time_spent": "Training hours",
    },
}  # fmt: skip

STATUSES: dict[str, FactVerb | None] = {
    **dict.fromkeys(("completed", "complete", "finished", "done", "termine", "acheve",
                     "achevee", "terminee"), FactVerb.COMPLETED),
    **dict.fromkeys(("passed", "reussi", "acquis", "valide", "success"), FactVerb.PASSED),
    **dict.fromkeys(("failed", "echoue", "echec", "non acquis", "failure"), FactVerb.FAILED),
    **dict.fromkeys(("", "enrolled", "registered", "inscrit", "not started", "non commence",
                     "not attempted", "in progress", "en cours", "started", "commence",
                     "incomplete", "incomplet"), None),
}  # fmt: skip


def columns_for(mapping: dict[str, Any]) -> list[Column]:
    """The columns with the academy's own headers (its mapping) accepted first."""
    found = []
    for column in COLUMNS:
        mine = mapping.get(column.name)
        aliases = ((mine,) if isinstance(mine, str) and mine.strip() else ()) + column.aliases
        found.append(Column(column.name, aliases, column.required, column.max_length))
    return found


def parse_day(text: str) -> dt.datetime | None:
    """2026-03-31 (time allowed after it), 31/03/2026 or 31.03.2026; ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    match = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            value = dt.datetime(year, month, day, tzinfo=dt.UTC)
        else:
            value = dt.datetime.fromisoformat(text[:10]).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(text) from None
    if not 2000 <= value.year <= 2099:
        raise ValueError(text)
    return value


def parse_seconds(text: str) -> int | None:
    """Minutes (90), 1h30, 1:30:00 (h:mm:ss), or PT1H30M; ValueError otherwise."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return round(float(text) * 60)
    if match := re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", text):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    if match := re.fullmatch(r"(\d+)\s*h\s*(\d{1,2})?\s*(?:min)?", text, re.IGNORECASE):
        return int(match.group(1)) * 3600 + int(match.group(2) or 0) * 60
    found = xapi.parse_duration(text.upper())
    if found is None:
        raise ValueError(text)
    return found


def parse_score(text: str) -> float | None:
    """A percentage, 0 to 100 ("85", "85 %", "85,5"); ValueError otherwise."""
    text = text.strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not 0 <= value <= 100:
        raise ValueError(text)
    return value / 100


def _check_row(
    line: int,
    cells: dict[str, str],
    courses: dict[str, int],
    pre_courses: dict[str, int] | None = None,
) -> ImportRow:
    row = ImportRow(line=line, shown=dict(cells))
    values, fail = row.values, row.fail
    for name, text in cells.items():
        column = next(c for c in COLUMNS if c.name == name)
        if column.max_length is not None and len(text) > column.max_length:
            fail(name, ngettext("At most %(num)s character.", "At most %(num)s characters.",
                                column.max_length))  # fmt: skip
    learner = cells.get("learner_id", "")
    if not learner:
        fail("learner_id", _("The learner id is missing."))
    values["learner"] = learner
    values["business_unit"] = cells.get("business_unit", "")[:120]
    values["name"] = cells.get("learner_name", "")
    values["email"] = cells.get("learner_email", "")
    course = cells.get("course_id", "")
    if not course:
        fail("course_id", _("The course id is missing."))
    elif course in courses:
        values["brick_id"], values["phase"] = courses[course], FactPhase.MAIN.value
        values["course"] = course
    elif pre_courses and course in pre_courses:
        # A brick's pre-assessment: its row is a "before" score, not an enrolment in the brick.
        values["brick_id"], values["phase"] = pre_courses[course], FactPhase.PRE.value
        values["course"] = course
    else:
        fail("course_id", _("No brick has the LMS course id “%(value)s”.", value=course[:80]))
    for name in ("enrolment_date", "completion_date"):
        try:
            values[name] = parse_day(cells.get(name, ""))
        except ValueError:
            fail(name, _("Not a date: write it as 2026-03-31 or 31/03/2026."))
    status = normalize(cells.get("status", "")).replace("\u2019", "'")
    if status not in STATUSES:
        fail("status", _("Unknown status “%(value)s”.", value=cells.get("status", "")[:80]))
    verb = STATUSES.get(status)
    if verb is None and values.get("completion_date") and status == "":
        verb = FactVerb.COMPLETED  # a completion date and no status: completed
    values["verb"] = verb
    try:
        values["score"] = parse_score(cells.get("score", ""))
    except ValueError:
        fail("score", _("A score is a percentage between 0 and 100."))
    try:
        values["seconds"] = parse_seconds(cells.get("time_spent", ""))
    except ValueError:
        fail("time_spent", _("A time spent is in minutes (90), or as 1h30 or 1:30:00."))
    row.outcome = verb.value if verb else FactVerb.ENROLLED.value
    return row


@dataclass
class LmsPlan(ImportPlan[ImportRow]):
    headers: dict[str, str] = field(default_factory=dict)  # each field's header, as written


def plan_import(session: Session, academy: Academy, filename: str, data: bytes) -> LmsPlan:
    """The dry run: each row checked against the academy's LMS course ids; writes nothing."""
    settings = services.read_settings(session, academy)  # a dry run writes nothing
    columns = columns_for(settings.column_mapping or {})
    header, rows = data_rows(
        spreadsheets.read_table(filename, data, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    )
    if not header:
        raise ImportFileError(_("The file is empty."))
    found = read_header(header, columns)
    found.require(
        lambda names: _("The first row must name the columns; missing: %(columns)s.", columns=names)
    )
    plan = LmsPlan(
        columns=[name for name in found.names if name is not None],
        ignored_columns=found.ignored,
        headers={
            name: cell.strip() for name, cell in zip(found.names, header, strict=False) if name
        },
    )
    unguard = str if spreadsheets.is_xlsx(filename) else spreadsheets.unguard
    numbered = (
        (
            line,
            {
                name: unguard(cell.strip())
                for name, cell in zip(found.names, cells, strict=False)
                if name is not None
            },
        )
        for line, cells in rows
    )
    return _check_rows(session, academy, plan, numbered, pseudonymous=False)


def _check_rows(
    session: Session,
    academy: Academy,
    plan: LmsPlan,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    pseudonymous: bool,
) -> LmsPlan:
    courses = services.bricks_by_identifier(session, academy, ActivityKind.LMS_COURSE)
    pre_courses = services.bricks_by_identifier(session, academy, ActivityKind.LMS_PRE_COURSE)
    seen: dict[tuple[str, str], int] = {}
    for line, texts in rows:
        if not any(texts.values()):
            continue
        row = _check_row(line, texts, courses, pre_courses)
        if pseudonymous:  # parked by the dry run: the identifier is already its pseudonym
            row.values["learner_key"] = row.values["learner"]
        pair = (texts.get("learner_id", ""), texts.get("course_id", ""))
        if pair in seen:
            row.fail("learner_id", _("This learner and course are already on line %(line)s.",
                                     line=seen[pair]))  # fmt: skip
        else:
            seen[pair] = line
        plan.rows.append(row)
    if not plan.rows:
        raise ImportFileError(_("The file has a header but no row."))
    return plan


# -- What the dry run parks until the confirmation ------------------------------------------------
# Never the uploaded file: its learner identifiers (often e-mails), names and e-mails would wait
# in the database for up to an hour. Only a checked plan is parked, as JSON: each row's cells
# with the identifier replaced by its pseudonym, names and e-mails dropped outside the named
# mode. A failed dry run parks nothing.

PARKED_FORMAT = "brique-lms-plan-1"
IDENTITY_FIELDS = ("learner_name", "learner_email")


def parked_plan(plan: LmsPlan, *, key: str, named: bool) -> bytes | None:
    """What the dry run of `plan` parks (None when a row is wrong); MissingKey without a key."""
    if not plan.ok:
        return None
    services.learner_key(key, "")  # no key: refuse before parking anything
    dropped = () if named else IDENTITY_FIELDS
    rows = []
    for row in plan.rows:
        cells = {name: text for name, text in row.shown.items() if name not in dropped}
        cells["learner_id"] = services.learner_key(key, row.values["learner"])
        rows.append([row.line, cells])
    return json.dumps(
        {
            "format": PARKED_FORMAT,
            "columns": [name for name in plan.columns if name not in dropped],
            "ignored": plan.ignored_columns,
            "headers": {n: h for n, h in plan.headers.items() if n not in dropped},
            "rows": rows,
        },
        ensure_ascii=False,
    ).encode()


def replan(session: Session, academy: Academy, data: bytes) -> LmsPlan:
    """The parked plan checked again (the academy may have changed since the dry run)."""
    try:
        parked = json.loads(data)
        if parked.get("format") != PARKED_FORMAT:
            raise ValueError(PARKED_FORMAT)
        rows = [(int(line), {str(k): str(v) for k, v in cells.items()})
                for line, cells in parked["rows"]]  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError):
        raise upload_expired() from None
    plan = LmsPlan(
        columns=list(parked.get("columns", [])),
        ignored_columns=list(parked.get("ignored", [])),
        headers=dict(parked.get("headers", {})),
    )
    return _check_rows(session, academy, plan, rows, pseudonymous=True)


def _source_id(course: str, learner_key: str, verb: FactVerb) -> str:
    return hashlib.sha256(f"{course}\x1f{learner_key}\x1f{verb.value}".encode()).hexdigest()


def import_rows(
    session: Session,
    academy: Academy,
    plan: ImportPlan[ImportRow],
    *,
    key: str,
    now: dt.datetime,
) -> int:
    """Store every row's facts (replacing those an earlier import of the same learner and
    course gave), in batches, and remember the file's headers; flushes only. Returns the number
    of rows imported."""
    if not plan.ok:
        raise DomainError(_("Correct the file: nothing is imported while a row is wrong."))
    services.learner_key(key, "")  # no key: refuse before writing anything
    settings = services.get_settings(session, academy)
    for start in range(0, len(plan.rows), BATCH):
        facts: list[dict[str, Any]] = []
        for row in plan.rows[start : start + BATCH]:
            values = row.values
            learner = values.get("learner_key") or services.learner_key(key, values["learner"])
            common = {
                "academy_id": academy.id,
                "brick_id": values["brick_id"],
                "source": FactSource.LMS_EXPORT,
                "learner_key": learner,
                "business_unit": values["business_unit"],
                "phase": values.get("phase", FactPhase.MAIN.value),
            }
            facts.append({
                **common, "source_id": _source_id(values["course"], learner, FactVerb.ENROLLED),
                "verb": FactVerb.ENROLLED, "occurred_at": values["enrolment_date"],
                "score": None, "seconds": None, "completed": False,
            })  # fmt: skip
            verb = values["verb"]
            if verb is not None:
                facts.append({
                    **common, "source_id": _source_id(values["course"], learner, verb),
                    "verb": verb,
                    "occurred_at": values["completion_date"] or values["enrolment_date"],
                    "score": values["score"], "seconds": values["seconds"],
                    "completed": verb in xapi.COMPLETING,
                })  # fmt: skip
        session.execute(
            delete(LearnerFact).where(
                LearnerFact.academy_id == academy.id,
                LearnerFact.source == FactSource.LMS_EXPORT,
                LearnerFact.source_id.in_([fact["source_id"] for fact in facts]),
            )
        )
        session.execute(insert(LearnerFact), facts)
        if settings.named_mode:
            services.record_identities(
                session, academy,
                {row.values.get("learner_key") or services.learner_key(key, row.values["learner"]):
                 (row.values["name"], row.values["email"])
                 for row in plan.rows[start : start + BATCH]},
                now=now,
            )  # fmt: skip
    if isinstance(plan, LmsPlan) and plan.headers:
        settings.column_mapping = {**(settings.column_mapping or {}), **plan.headers}
    session.flush()
    return len(plan.rows)


def set_mapping(
    session: Session, academy: Academy, mapping: dict[str, str], *, now: dt.datetime
) -> None:
    """The academy's headers for its LMS report (an empty one: the usual names only)."""
    settings = services.get_settings(session, academy)
    settings.column_mapping = {
        name: mapping[name].strip()[:200] for name in FIELDS if mapping.get(name, "").strip()
    }
    settings.updated_at = now
    session.flush()


def template_csv() -> bytes:
    return spreadsheets.write_csv(
        [
            list(FIELDS),
            ["u-1042", "Sales", "CYBER-101", "2026-01-05", "2026-01-12", "passed", "85", "45"],
            ["u-1043", "Finance", "CYBER-101", "2026-01-06", "", "in progress", "", "10"],
        ]
    )
