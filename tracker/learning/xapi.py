"""The xAPI Statements API, read as a client (xAPI 1.0.3, part three, 2.1 and 7.2): GET
{endpoint}/statements with `since`/`until`, then each `more` link, with the
`X-Experience-API-Version` header and HTTP basic auth or a bearer token. One page at a time:
memory is bounded by the LRS's page size.

Against server-side request forgery, every request goes through the webhooks' guard
(tracker/webhooks/addresses.py): https only, the host resolved at each request and every address
it gives public (no loopback, private, link-local, shared or reserved range), the connection
pinned to the address checked. A redirect is followed (at most MAX_REDIRECTS) only to a URL that
passes the same guard. `allow_private` (config LRS_ALLOW_PRIVATE) lifts the guard: tests and an
LRS inside the company's network.

What a statement becomes (`map_statement`), and the verbs that count (VERBS): a verb is known by
its IRI under one of VERB_PREFIXES (ADL's vocabulary, http://adlnet.gov/expapi/verbs/ and its
https://w3id.org/xapi/adl/verbs/ twin):

    launched     the learner started the brick          counts as reached (enrolled)
    experienced  the learner saw (a part of) it         counts as reached
    completed    the learner finished it                reached, completed
    passed       finished and passed its assessment     reached, completed, score if any
    failed       took its assessment and failed         reached, score if any
    scored       an assessment's score                  reached, score

Any other verb is skipped (counted as such). `voided` statements (ADL's voided verb) remove the
fact of the statement they void. A result's `completion: true` marks any counted statement
completed; `score.scaled` (else raw/max) gives the score, `duration` the time spent.

A brick may name the IRI(s) of its pre-assessment (the test taken before it): their statements
are stored with the phase "pre" and give only the "before" score of the pre/post figures
(tracker/learning/outcomes.py); they never count as reaching or completing the brick.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from tracker.learning.models import FactPhase, FactVerb
from tracker.webhooks.addresses import RefusedUrl, connect

XAPI_VERSION = "1.0.3"
VERB_PREFIXES = ("http://adlnet.gov/expapi/verbs/", "https://w3id.org/xapi/adl/verbs/")
VERBS = {
    "launched": FactVerb.LAUNCHED,
    "experienced": FactVerb.EXPERIENCED,
    "completed": FactVerb.COMPLETED,
    "passed": FactVerb.PASSED,
    "failed": FactVerb.FAILED,
    "scored": FactVerb.SCORED,
}
VOIDED = "voided"
COMPLETING = frozenset({FactVerb.COMPLETED, FactVerb.PASSED})


class LrsError(Exception):
    """The LRS could not be read: unreachable, refused, or answered something not xAPI."""


@dataclass(frozen=True)
class LrsConnection:
    endpoint: str  # https://lrs.example.com/xAPI/ (statements is read under it)
    auth: str  # "basic" or "token"
    username: str
    secret: str
    timeout: float = 30
    allow_private: bool = False  # LRS_ALLOW_PRIVATE: loopback and private addresses allowed

    def headers(self) -> dict[str, str]:
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
        if self.auth == "token":
            headers["Authorization"] = f"Bearer {self.secret}"
        elif self.username or self.secret:
            raw = f"{self.username}:{self.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        return headers

    def statements_url(self, **params: str) -> str:
        base = self.endpoint if self.endpoint.endswith("/") else self.endpoint + "/"
        query = urlencode({key: value for key, value in params.items() if value})
        return urljoin(base, "statements") + (f"?{query}" if query else "")

    def resolve(self, more: str) -> str:
        """A `more` link is an IRL relative to the LRS (usually an absolute path)."""
        url = urljoin(self.endpoint, more)
        if urlsplit(url).netloc != urlsplit(self.endpoint).netloc:
            raise LrsError("the LRS's “more” link points to another server")
        return url


MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def get_json(connection: LrsConnection, url: str) -> Any:
    """GET the URL through the address guard, following a redirect only to an address the guard
    accepts; the decoded JSON, or LrsError."""
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            http_connection, path = connect(
                url, timeout=connection.timeout, allow_private=connection.allow_private
            )
        except RefusedUrl as error:
            raise LrsError(f"the LRS's address is refused: {error} ({url[:200]})") from error
        try:
            http_connection.request("GET", path, headers=connection.headers())
            response = http_connection.getresponse()
            if response.status in REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location") or "")
                continue
            if response.status >= 400:
                raise LrsError(f"the LRS answered {response.status} {response.reason}")
            return json.load(response)
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            raise LrsError(f"the LRS cannot be reached ({error})") from error
        except ValueError as error:
            raise LrsError("the LRS's answer is not JSON") from error
        finally:
            http_connection.close()
    raise LrsError("the LRS redirects too many times")


def fetch_page(connection: LrsConnection, url: str) -> tuple[list[dict[str, Any]], str]:
    """One StatementResult: its statements and its `more` link ("" at the end)."""
    body = get_json(connection, url)
    if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
        raise LrsError("the LRS's answer is not a StatementResult")
    more = body.get("more") or ""
    return [s for s in body["statements"] if isinstance(s, dict)], str(more)


def statement_pages(
    connection: LrsConnection, *, since: str = "", until: str = "", more: str = ""
) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """Each page with the `more` link that follows it, from `more` if given (a pull that was
    cut), else from the first page since `since`."""
    url = connection.resolve(more) if more else connection.statements_url(since=since, until=until)
    while url:
        statements, next_more = fetch_page(connection, url)
        yield statements, next_more
        url = connection.resolve(next_more) if next_more else ""


# -- One statement -----------------------------------------------------------------------------


def verb_of(statement: dict[str, Any]) -> str:
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if not isinstance(verb_id, str):
        return ""
    for prefix in VERB_PREFIXES:
        if verb_id.startswith(prefix):
            return verb_id[len(prefix) :]
    return ""


def learner_identifier(actor: Any) -> str:
    """The platform's identifier of an Agent: its account name (the LMS's learner id, as in the
    LMS's exports), else its mailbox, its mailbox's SHA-1 or its OpenID. Groups: none."""
    if not isinstance(actor, dict) or actor.get("objectType") == "Group":
        return ""
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str):
        return account["name"].strip()
    mbox = actor.get("mbox")
    if isinstance(mbox, str):
        return mbox.removeprefix("mailto:").strip().lower()
    for key in ("mbox_sha1sum", "openid"):
        if isinstance(actor.get(key), str):
            return f"{key}:{actor[key].strip()}"
    return ""


def activity_ids(statement: dict[str, Any]) -> list[str]:
    """The statement's object, then its context's parent and grouping activities."""
    found: list[str] = []
    target = statement.get("object")
    if isinstance(target, dict) and isinstance(target.get("id"), str):
        found.append(target["id"])
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if isinstance(activities, dict):
        for key in ("parent", "grouping"):
            listed = activities.get(key)
            if isinstance(listed, dict):
                listed = [listed]
            if isinstance(listed, list):
                found += [
                    a["id"] for a in listed if isinstance(a, dict) and isinstance(a.get("id"), str)
                ]
    return found


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: Any) -> int | None:
    """An ISO 8601 duration (PT1H25M30S, P1DT2H) in whole seconds; None when not one."""
    if not isinstance(text, str) or text in ("P", "PT"):
        return None
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    return min(int(seconds), 2_000_000_000)


def parse_moment(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def score_of(result: dict[str, Any]) -> float | None:
    score = result.get("score")
    if not isinstance(score, dict):
        return None
    scaled = score.get("scaled")
    if isinstance(scaled, int | float) and not isinstance(scaled, bool):
        return max(0.0, min(1.0, float(scaled)))
    raw, low, high = score.get("raw"), score.get("min", 0), score.get("max")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (raw, low, high))
    if numbers and high > low:
        return max(0.0, min(1.0, (raw - low) / (high - low)))
    return None


def business_unit_of(statement: dict[str, Any], extension: str) -> str:
    if not extension:
        return ""
    context = statement.get("context")
    extensions = context.get("extensions") if isinstance(context, dict) else None
    value = extensions.get(extension) if isinstance(extensions, dict) else None
    return value.strip()[:120] if isinstance(value, str) else ""


@dataclass(frozen=True)
class MappedStatement:
    statement_id: str
    brick_id: int
    learner: str  # the platform's identifier: hashed before it is stored
    business_unit: str
    verb: FactVerb
    occurred_at: dt.datetime | None
    score: float | None
    seconds: int | None
    completed: bool
    phase: str = ""  # FactPhase: "pre" when the activity is a brick's pre-assessment
    # Named mode only (never stored otherwise): the actor's name and e-mail, if given.
    learner_name: str = ""
    learner_email: str = ""


def actor_details(actor: Any) -> tuple[str, str]:
    """The Agent's name and mailbox address, "" where absent."""
    if not isinstance(actor, dict):
        return "", ""
    name = actor.get("name") if isinstance(actor.get("name"), str) else ""
    mbox = actor.get("mbox") if isinstance(actor.get("mbox"), str) else ""
    return str(name).strip(), str(mbox).removeprefix("mailto:").strip()


def map_statement(
    statement: dict[str, Any],
    bricks_by_iri: dict[str, int],
    business_unit_extension: str,
    pre_by_iri: dict[str, int] | None = None,
) -> MappedStatement | None:
    """What Brique keeps of one statement, or None when it does not count (unknown verb, no
    learner, an activity that is no brick's). The first of its activities (the object, then the
    context's parent and grouping) that is a brick's decides: one of a brick's pre-assessment
    IRIs (`pre_by_iri`) makes it a fact of the phase "pre"."""
    statement_id = statement.get("id")
    verb = VERBS.get(verb_of(statement))
    learner = learner_identifier(statement.get("actor"))
    if not isinstance(statement_id, str) or not statement_id or verb is None or not learner:
        return None
    pre_by_iri = pre_by_iri or {}
    found = next(
        (
            (bricks_by_iri[i], "") if i in bricks_by_iri else (pre_by_iri[i], FactPhase.PRE.value)
            for i in activity_ids(statement)
            if i in bricks_by_iri or i in pre_by_iri
        ),
        None,
    )
    if found is None:
        return None
    brick_id, phase = found
    result = statement.get("result")
    result = result if isinstance(result, dict) else {}
    name, email = actor_details(statement.get("actor"))
    return MappedStatement(
        statement_id=statement_id[:100],
        brick_id=brick_id,
        learner=learner,
        business_unit=business_unit_of(statement, business_unit_extension),
        verb=verb,
        occurred_at=parse_moment(statement.get("timestamp"))
        or parse_moment(statement.get("stored")),
        score=score_of(result),
        seconds=parse_duration(result.get("duration")),
        completed=verb in COMPLETING or result.get("completion") is True,
        phase=phase,
        learner_name=name,
        learner_email=email,
    )


def voided_id(statement: dict[str, Any]) -> str:
    """The id a voiding statement voids ("" for any other statement)."""
    if verb_of(statement) != VOIDED:
        return ""
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "StatementRef":
        return str(target.get("id") or "")[:100]
    return ""
