"""Quotes and the budget: a vendor's quote for a specification (shared by its bricks) or one
brick, accepted or refused by a manager (the history keeps each step); a brick's planned cost;
planned against actual cost per brick, release and path; cost per learner hour; the finance
export. Actual cost = accepted quotes; a specification's quote is shared evenly among its bricks.
Amounts are kept per currency (no conversion). Services flush, never commit, take `now`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker import rows
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.errors import Conflict, DomainError
from tracker.history import newest_first, record
from tracker.vendors.models import (
    BrickBudget,
    Quote,
    QuoteEvent,
    QuoteStatus,
    Specification,
    specification_brick,
)

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD")
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")


def _amount(value: Decimal | None, field: str) -> Decimal:
    if value is None or not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise DomainError(_("Give an amount between 0 and 999,999,999,999.99."), field=field)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _currency(value: str | None) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise DomainError(_("Choose a currency."), field="currency")
    return code


def submit_quote(
    session: Session,
    spec: Specification,
    *,
    amount: Decimal | None,
    currency: str,
    days: int | None,
    valid_until: dt.date | None,
    note: str,
    actor: User,
    now: dt.datetime,
) -> Quote:
    """The vendor's quote for a specification they received."""
    if not spec.versions:
        raise DomainError(_("This specification was not sent yet."))
    quote = Quote(academy_id=spec.academy_id, vendor_id=spec.vendor_id, specification_id=spec.id)
    return _new_quote(
        session, quote, amount=amount, currency=currency, days=days, valid_until=valid_until,
        note=note, actor=actor, now=now,
    )  # fmt: skip


def submit_brick_quote(
    session: Session,
    brick: Brick,
    *,
    amount: Decimal | None,
    currency: str,
    days: int | None,
    valid_until: dt.date | None,
    note: str,
    actor: User,
    now: dt.datetime,
) -> Quote:
    """The vendor's quote for one brick assigned to them (the view checks it is theirs)."""
    if brick.vendor_id is None:
        raise DomainError(_("This brick is not assigned to a vendor."))
    quote = Quote(academy_id=brick.academy_id, vendor_id=brick.vendor_id, brick_id=brick.id)
    return _new_quote(
        session, quote, amount=amount, currency=currency, days=days, valid_until=valid_until,
        note=note, actor=actor, now=now,
    )  # fmt: skip


def _new_quote(
    session: Session,
    quote: Quote,
    *,
    amount: Decimal | None,
    currency: str,
    days: int | None,
    valid_until: dt.date | None,
    note: str,
    actor: User,
    now: dt.datetime,
) -> Quote:
    """Check the quote's figures, keep it pending, and record its submission."""
    if days is not None and not 0 <= days <= 10000:
        raise DomainError(_("Give a number of days between 0 and 10,000."), field="days")
    if valid_until is not None and valid_until < now.date():
        raise DomainError(_("The validity date has passed."), field="valid_until")
    quote.amount = _amount(amount, "amount")
    quote.currency = _currency(currency)
    quote.days = days
    quote.valid_until = valid_until
    quote.note = note or ""
    quote.status = QuoteStatus.PENDING
    quote.submitted_at = now
    quote.submitted_by_id = actor.id
    session.add(quote)
    session.flush()
    record(session, QuoteEvent, actor=actor, at=now, quote_id=quote.id, status=QuoteStatus.PENDING)
    return quote


def get_quote(session: Session, academy: Academy, quote_id: int) -> Quote:
    return rows.get_in(session, Quote, quote_id, _("No such quote."), academy_id=academy.id)


def decide(
    session: Session, quote: Quote, *, accept: bool, note: str, actor: User, now: dt.datetime
) -> None:
    """A manager accepts or refuses a quote waiting for a decision."""
    if quote.status != QuoteStatus.PENDING:
        raise Conflict(_("This quote was already decided."))
    if not accept and not (note or "").strip():
        raise DomainError(_("Say why the quote is refused."), field="note")
    quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.REFUSED
    session.flush()
    record(
        session, QuoteEvent, actor=actor, at=now, quote_id=quote.id, status=quote.status, note=note
    )


def quote_history(session: Session, quote: Quote) -> list[QuoteEvent]:
    return newest_first(session, QuoteEvent, QuoteEvent.quote_id == quote.id)


def list_quotes(session: Session, academy: Academy, *, vendor_id: int | None = None) -> list[Quote]:
    query = (
        select(Quote)
        .where(Quote.academy_id == academy.id)
        .options(
            selectinload(Quote.vendor),
            selectinload(Quote.specification),
            selectinload(Quote.brick),
        )
        .order_by(Quote.submitted_at.desc(), Quote.id.desc())
    )
    if vendor_id is not None:
        query = query.where(Quote.vendor_id == vendor_id)
    return list(session.scalars(query))


def set_planned(
    session: Session, brick: Brick, *, amount: Decimal | None, currency: str
) -> BrickBudget | None:
    """The planned cost of a brick (None: no plan)."""
    budget = session.scalar(select(BrickBudget).where(BrickBudget.brick_id == brick.id))
    if amount is None:
        if budget is not None:
            session.delete(budget)
            session.flush()
        return None
    if budget is None:
        budget = BrickBudget(academy_id=brick.academy_id, brick_id=brick.id)
        session.add(budget)
    budget.planned = _amount(amount, "planned")
    budget.currency = _currency(currency)
    session.flush()
    return budget


# -- The budget ----------------------------------------------------------------------------------

Money = dict[str, Decimal]  # currency -> amount


def _add(total: Money, more: Money) -> None:
    for currency, amount in more.items():
        total[currency] = total.get(currency, Decimal(0)) + amount


@dataclass
class CostLine:
    """Planned and actual cost of a brick or a group, and its learner minutes."""

    label: str
    planned: Money = field(default_factory=dict)
    actual: Money = field(default_factory=dict)
    learner_minutes: int = 0
    bricks: int = 0

    def per_learner_hour(self) -> Money:
        if not self.learner_minutes:
            return {}
        hours = Decimal(self.learner_minutes) / Decimal(60)
        return {
            c: (a / hours).quantize(CENT, rounding=ROUND_HALF_UP) for c, a in self.actual.items()
        }

    def add(self, other: CostLine) -> None:
        _add(self.planned, other.planned)
        _add(self.actual, other.actual)
        self.learner_minutes += other.learner_minutes
        self.bricks += other.bricks


@dataclass
class Budget:
    bricks: list[tuple[Brick, CostLine]]
    releases: list[CostLine]
    paths: list[CostLine]
    total: CostLine


def actual_by_brick(session: Session, academy: Academy) -> dict[int, Money]:
    """Accepted quotes per brick: a brick's own, and its share of its specifications' (three
    queries, whatever the number of bricks)."""
    result: dict[int, Money] = defaultdict(dict)
    accepted = list(
        session.execute(
            select(
                Quote.id, Quote.brick_id, Quote.specification_id, Quote.amount, Quote.currency
            ).where(Quote.academy_id == academy.id, Quote.status == QuoteStatus.ACCEPTED)
        )
    )
    spec_ids = {row.specification_id for row in accepted if row.specification_id is not None}
    members: dict[int, list[int]] = defaultdict(list)
    if spec_ids:
        for spec_id, brick_id in session.execute(
            select(specification_brick.c.specification_id, specification_brick.c.brick_id)
            .where(specification_brick.c.specification_id.in_(spec_ids))
            .order_by(specification_brick.c.brick_id)
        ):
            members[spec_id].append(brick_id)
    for row in accepted:
        amount = Decimal(row.amount)
        if row.brick_id is not None:
            _add(result[row.brick_id], {row.currency: amount})
        elif row.specification_id in members:
            brick_ids = members[row.specification_id]
            share = (amount / len(brick_ids)).quantize(CENT, rounding=ROUND_HALF_UP)
            for index, brick_id in enumerate(brick_ids):
                # The last brick takes the rounding remainder: the shares add up to the quote.
                part = (
                    amount - share * (len(brick_ids) - 1) if index == len(brick_ids) - 1 else share
                )
                _add(result[brick_id], {row.currency: part})
    return result


def budget(session: Session, academy: Academy, *, vendor_id: int | None = None) -> Budget:
    """Every brick with a plan or a cost (of one vendor, if given), grouped by release and
    path, with the totals."""
    actual = actual_by_brick(session, academy)
    planned = {
        b.brick_id: {b.currency: Decimal(b.planned)}
        for b in session.scalars(select(BrickBudget).where(BrickBudget.academy_id == academy.id))
    }
    ids = set(actual) | set(planned)
    query = (
        select(Brick)
        .where(Brick.academy_id == academy.id, Brick.id.in_(ids))
        .options(selectinload(Brick.release), selectinload(Brick.learning_path))
        .order_by(Brick.rank, Brick.id)
    )
    if vendor_id is not None:
        query = query.where(Brick.vendor_id == vendor_id)
    bricks = list(session.scalars(query)) if ids else []
    lines: list[tuple[Brick, CostLine]] = []
    releases: dict[int, CostLine] = {}
    paths: dict[int, CostLine] = {}
    total = CostLine(_("Total"))
    for brick in bricks:
        line = CostLine(
            f"{academy.key_prefix}-{brick.number} {brick.title}",
            planned=dict(planned.get(brick.id, {})),
            actual=dict(actual.get(brick.id, {})),
            learner_minutes=brick.learner_minutes or 0,
            bricks=1,
        )
        lines.append((brick, line))
        total.add(line)
        if brick.release is not None:
            releases.setdefault(brick.release.id, CostLine(brick.release.name)).add(line)
        if brick.learning_path is not None:
            paths.setdefault(brick.learning_path.id, CostLine(brick.learning_path.name)).add(line)
    return Budget(lines, list(releases.values()), list(paths.values()), total)


def _money_text(money: Money) -> str:
    return " + ".join(f"{amount} {currency}" for currency, amount in sorted(money.items()))


def export_rows(academy: Academy, data: Budget) -> list[Sequence[object]]:
    """The finance export: one row per brick and currency, numbers as numbers."""
    header = [
        _("Key"),
        _("Brick"),
        _("Release"),
        _("Learning path"),
        _("Currency"),
        _("Planned"),
        _("Actual"),
        _("Learner minutes"),
        _("Cost per learner hour"),
    ]
    out: list[Sequence[object]] = [header]
    for brick, line in data.bricks:
        per_hour = line.per_learner_hour()
        for currency in sorted(set(line.planned) | set(line.actual)) or ["EUR"]:
            out.append(
                [
                    f"{academy.key_prefix}-{brick.number}",
                    brick.title,
                    brick.release.name if brick.release else "",
                    brick.learning_path.name if brick.learning_path else "",
                    currency,
                    float(line.planned.get(currency, 0)),
                    float(line.actual.get(currency, 0)),
                    line.learner_minutes,
                    float(per_hour[currency]) if currency in per_hour else "",
                ]
            )
    return out


def bricks_of(session: Session, academy: Academy, brick_id: int) -> Brick:
    return rows.get_in(session, Brick, brick_id, _("No such brick."), academy_id=academy.id)


def plannable_bricks(session: Session, academy: Academy) -> list[Brick]:
    """The bricks assigned to a vendor, in backlog order."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.vendor_id.is_not(None))
            .order_by(Brick.rank, Brick.id)
        )
    )


def planned_amounts(session: Session, academy: Academy) -> dict[int, Decimal]:
    return {
        b.brick_id: b.planned
        for b in session.scalars(select(BrickBudget).where(BrickBudget.academy_id == academy.id))
    }
