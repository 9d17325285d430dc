"""The LMS-export import: an LMS's completion report (CSV or XLSX), one row per learner and
course, turned into pseudonymous learner facts. The flow (upload, dry run, confirm; all rows or
none) is the shared one (tracker/imports.py, tracker/imports_web.py).

Columns: learner_id and course_id are required; business_unit, enrolment_date,
completion_date, status, score (a percentage, 0 to 100) and time_spent are optional. Each
academy maps its report's headers once (a preset for the usual LMSs, or its own), with the order
of its dates (day/month or month/day) and the unit of its durations; the headers an import used
are remembered for the next one.

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

# How a report writes its dates and its durations: part of the academy's mapping (its
# `date_order` and `time_unit` keys), set by a preset or on the columns page. ISO dates
# (2026-02-01), Moodle's text dates ("Monday, 2 February 2026, 10:00 AM") and Excel's own dates
# are read whatever the order; the order says how to read 02/01/2026.
DATE_ORDERS = ("dmy", "mdy")  # 31/01/2026 (French academies: the default), 01/31/2026 (US)
TIME_UNITS = ("minutes", "seconds", "hours", "hms")  # of a bare number; "hms": h:mm:ss only
DEFAULT_DATE_ORDER = "dmy"
DEFAULT_TIME_UNIT = "minutes"

# The headers of the usual reports, as starting points an academy adjusts on its settings page,
# with how each writes its dates and durations.
PRESETS: dict[str, dict[str, str]] = {
    "moodle": {
        "learner_id": "ID number", "business_unit": "Department", "course_id": "Course short name",
        "enrolment_date": "Time enrolled", "completion_date": "Time completed",
        "status": "Completion status", "score": "Grade", "time_spent": "Time spent",
        "date_order": "dmy", "time_unit": "minutes",
    },
    "docebo": {
        "learner_id": "Username", "business_unit": "Branch", "course_id": "Course code",
        "enrolment_date": "Enrollment date", "completion_date": "Completion date",
        "status": "Enrollment status", "score": "Final score", "time_spent": "Session time",
        "date_order": "dmy", "time_unit": "hms",
    },
    "360learning": {
        "learner_id": "User ID", "business_unit": "Group", "course_id": "Course ID",
        "enrolment_date": "Enrollment date", "completion_date": "Completion date",
        "status": "Status", "score": "Score", "time_spent": "Time spent",
        "date_order": "dmy", "time_unit": "minutes",
    },
    "cornerstone": {
        "learner_id": "User ID", "business_unit": "Division", "course_id": "Training ID",
        "enrolment_date": "Registration date", "completion_date": "Completion date",
        "status": "Transcript status", "score": "Score", "time_spent": "Training hours",
        "date_order": "mdy", "time_unit": "hours",
    },
}  # fmt: skip
OPTIONS = ("date_order", "time_unit")  # the mapping's keys that are not headers

# The statuses of the usual reports (compared without case or accents), as what they mean.
STATUSES: dict[str, FactVerb | None] = {
    **dict.fromkeys(("completed", "complete", "finished", "done", "termine", "terminee",
                     "acheve", "achevee", "complete (achieved)", "completed (achieved)"),
                    FactVerb.COMPLETED),
    **dict.fromkeys(("passed", "pass", "reussi", "reussie", "acquis", "valide", "validee",
                     "success", "succeeded", "completed (achieved pass grade)",
                     "completed (passed)", "complete (pass)", "certified"), FactVerb.PASSED),
    **dict.fromkeys(("failed", "fail", "echoue", "echouee", "echec", "non acquis",
                     "non valide", "failure", "completed (did not achieve pass grade)",
                     "completed (failed)", "complete (fail)"), FactVerb.FAILED),
    **dict.fromkeys(("", "enrolled", "enroled", "registered", "subscribed", "inscrit",
                     "inscrite", "waiting", "waitlisted", "waiting list", "en attente",
                     "pending", "pending approval", "approved", "suspended", "suspendu",
                     "cancelled", "canceled", "annule", "withdrawn", "retire", "abandonne",
                     "denied", "refuse", "expired", "expire", "overbooking", "not started",
                     "non commence", "non demarre", "a faire", "not attempted", "not completed",
                     "non termine", "incomplete", "incomplet", "in progress", "en cours",
                     "started", "commence", "attempted", "browsed"), None),
}  # fmt: skip
# What a status means, for the error that lists them.
STATUS_EXAMPLES = "completed, passed, failed, in progress, enrolled"


def columns_for(mapping: dict[str, Any]) -> list[Column]:
    """The columns with the academy's own headers (its mapping) accepted first."""
    found = []
    for column in COLUMNS:
        mine = mapping.get(column.name)
        aliases = ((mine,) if isinstance(mine, str) and mine.strip() else ()) + column.aliases
        found.append(Column(column.name, aliases, column.required, column.max_length))
    return found


MONTHS = {
    **{name: n for n, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"), start=1)},
    **{name: n for n, name in enumerate(
        ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
         "septembre", "octobre", "novembre", "decembre"), start=1)},
}  # fmt: skip
_EXCEL_EPOCH = dt.datetime(1899, 12, 30, tzinfo=dt.UTC)


def _month(word: str) -> int:
    word = normalize(word).rstrip(".")
    for name, number in MONTHS.items():
        if len(word) >= 3 and name.startswith(word):  # "Feb", "févr."
            return number
    raise ValueError(word)


def parse_day(
    text: str, order: str = DEFAULT_DATE_ORDER, *, excel: bool = False
) -> dt.datetime | None:
    """A day, time allowed after it: 2026-03-31, 31/03/2026 (or 03/31/2026 when `order` is
    "mdy"; "." and "-" too, a year of 2 digits too), Moodle's "Tuesday, 31 March 2026, 10:00 AM"
    (English or French month names), "March 31, 2026", or (`excel`: from an XLSX file) Excel's
    serial day number. ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
            value = dt.datetime.fromisoformat(text[:10]).replace(tzinfo=dt.UTC)
        elif match := re.match(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)", text):
            first, second, year = (int(part) for part in match.groups())
            day, month = (second, first) if order == "mdy" else (first, second)
            value = dt.datetime(year + 2000 if year < 100 else year, month, day, tzinfo=dt.UTC)
        elif excel and re.fullmatch(r"\d{5}(\.\d+)?", text):
            value = _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        elif match := re.search(r"(?<!\d)(\d{1,2})(?:er)?\s+([^\W\d_]+\.?)\s+(\d{4})", text):
            day_text, word, year_text = match.groups()
            value = dt.datetime(int(year_text), _month(word), int(day_text), tzinfo=dt.UTC)
        elif match := re.search(r"([^\W\d_]+\.?)\s+(\d{1,2}),?\s+(\d{4})", text):
            word, day_text, year_text = match.groups()
            value = dt.datetime(int(year_text), _month(word), int(day_text), tzinfo=dt.UTC)
        else:
            raise ValueError(text)
    except ValueError:
        raise ValueError(text) from None
    if not 2000 <= value.year <= 2099:
        raise ValueError(text)
    return value


_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}
_WORDS = (  # "1 hour 30 mins", "01h 30m 20s", "2 heures 5 min", "45 secs"
    r"\s*(?:(?P<h>\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?|heures?)\s*)?"
    r"(?:(?P<m>\d+)\s*(?:m|mins?|minutes?)\s*)?"
    r"(?:(?P<s>\d+)\s*(?:s|secs?|seconds?|secondes?)\s*)?"
)


def parse_seconds(text: str, unit: str = DEFAULT_TIME_UNIT) -> int | None:
    """A time spent, in seconds: a bare number in the mapping's `unit` (minutes by default,
    seconds or hours: 1.5 hours is 5400), or, whatever the unit, 1:30:00 (h:mm:ss; 1:30 is
    h:mm), 1h30, "1 hour 30 mins", "01h 30m 20s", or PT1H30M. ValueError otherwise ("hms": no
    bare number)."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        if unit not in _UNIT_SECONDS:
            raise ValueError(text)
        return round(float(text) * _UNIT_SECONDS[unit])
    if match := re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", text):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    if match := re.fullmatch(r"(\d+)\s*h\s*(\d{1,2})\s*(?:min)?", text, re.IGNORECASE):
        return int(match.group(1)) * 3600 + int(match.group(2)) * 60
    if (match := re.fullmatch(_WORDS, text, re.IGNORECASE)) and any(match.groupdict().values()):
        found = match.groupdict()
        return round(
            float(found["h"] or 0) * 3600 + int(found["m"] or 0) * 60 + int(found["s"] or 0)
        )
    parsed = xapi.parse_duration(text.upper())
    if parsed is None:
        raise ValueError(text)
    return parsed


def parse_score(text: str) -> float | None:
    """A percentage, 0 to 100 ("85", "85 %", "85,5"; "-": none); ValueError otherwise."""
    text = text.strip().rstrip("%").strip().replace(",", ".")
    if text in ("", "-", "\u2013", "\u2014"):  # Moodle writes "-" for no grade
        return None
    value = float(text)
    if not 0 <= value <= 100:
        raise ValueError(text)
    return value / 100


@dataclass(frozen=True)
class Reading:
    """How the academy's report writes its dates and durations (its mapping's options), and
    whether the file is an Excel one (its serial day numbers are dates then)."""

    date_order: str = DEFAULT_DATE_ORDER
    time_unit: str = DEFAULT_TIME_UNIT
    excel: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # each field's header, as written

    @classmethod
    def of(cls, mapping: dict[str, Any], *, excel: bool, headers: dict[str, str]) -> Reading:
        order, unit = mapping.get("date_order"), mapping.get("time_unit")
        return cls(
            date_order=order if order in DATE_ORDERS else DEFAULT_DATE_ORDER,
            time_unit=unit if unit in TIME_UNITS else DEFAULT_TIME_UNIT,
            excel=excel,
            headers=headers,
        )

    def date_error(self) -> str:
        if self.date_order == "mdy":
            return _("Not a date: this report writes month/day/year (03/31/2026), or 2026-03-31.")
        return _("Not a date: this report writes day/month/year (31/03/2026), or 2026-03-31.")

    def time_error(self) -> str:
        unit = {
            "seconds": _("in seconds (5400)"),
            "minutes": _("in minutes (90)"),
            "hours": _("in hours (1.5)"),
            "hms": _("as hours:minutes:seconds (1:30:00)"),
        }[self.time_unit]
        return _("A time spent is %(unit)s, or as 1h30 or 1:30:00.", unit=unit)


def _check_row(
    line: int,
    cells: dict[str, str],
    courses: dict[str, int],
    pre_courses: dict[str, int] | None = None,
    reading: Reading | None = None,
) -> ImportRow:
    reading = reading or Reading()
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
            values[name] = parse_day(cells.get(name, ""), reading.date_order, excel=reading.excel)
        except ValueError:
            fail(name, reading.date_error())
    status = normalize(cells.get("status", "")).replace("\u2019", "'")
    if status not in STATUSES:
        fail("status", _("Line %(line)s, column “%(column)s”: unknown status “%(value)s” "
                         "(known: %(known)s, and the usual LMS statuses).",
                         line=line, column=reading.headers.get("status", "status"),
                         value=cells.get("status", "")[:80], known=STATUS_EXAMPLES))  # fmt: skip
    verb = STATUSES.get(status)
    if verb is None and values.get("completion_date") and status == "":
        verb = FactVerb.COMPLETED  # a completion date and no status: completed
    values["verb"] = verb
    try:
        values["score"] = parse_score(cells.get("score", ""))
    except ValueError:
        fail("score", _("A score is a percentage between 0 and 100."))
    try:
        values["seconds"] = parse_seconds(cells.get("time_spent", ""), reading.time_unit)
    except ValueError:
        fail("time_spent", reading.time_error())
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
    reading = Reading.of(
        settings.column_mapping or {}, excel=spreadsheets.is_xlsx(filename), headers=plan.headers
    )
    return _check_rows(session, academy, plan, numbered, reading, pseudonymous=False)


def _check_rows(
    session: Session,
    academy: Academy,
    plan: LmsPlan,
    rows: Iterable[tuple[int, dict[str, str]]],
    reading: Reading,
    *,
    pseudonymous: bool,
) -> LmsPlan:
    courses = services.bricks_by_identifier(session, academy, ActivityKind.LMS_COURSE)
    pre_courses = services.bricks_by_identifier(session, academy, ActivityKind.LMS_PRE_COURSE)
    seen: dict[tuple[str, str], int] = {}
    for line, texts in rows:
        if not any(texts.values()):
            continue
        row = _check_row(line, texts, courses, pre_courses, reading)
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


def parked_plan(plan: LmsPlan, *, key: str, named: bool, excel: bool) -> bytes | None:
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
            "excel": excel,  # its serial day numbers are dates
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
    mapping = services.read_settings(session, academy).column_mapping or {}
    reading = Reading.of(mapping, excel=bool(parked.get("excel")), headers=plan.headers)
    return _check_rows(session, academy, plan, rows, reading, pseudonymous=True)


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
    found = {name: mapping[name].strip()[:200] for name in FIELDS if mapping.get(name, "").strip()}
    if mapping.get("date_order") in DATE_ORDERS:
        found["date_order"] = mapping["date_order"]
    if mapping.get("time_unit") in TIME_UNITS:
        found["time_unit"] = mapping["time_unit"]
    settings.column_mapping = found
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
