"""Receiving referrals (every channel) and scrutinising them at CC Porth (DOMAIN §3), set-based.

One pipeline serves the web form, the API and bulk files: a web referral is a batch of one. Each referral gets
exactly one outcome; every step is written to the case's timeline in the same transaction; notices are issued
in the same transaction and e-mailed after it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from liaison.benefits.register import RegisterUnavailable, get_register
from liaison.core import timeline
from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.errors import ApplicationError
from liaison.core.models import Case, Event
from liaison.core.money import format_pence
from liaison.notices.services import NoticeRequest, notices_issue
from liaison.partners.models import Organisation
from liaison.recovery.models import Debt
from liaison.recovery.selectors import ninos_with_current_instalment_plan
from liaison.recovery.services import DebtRequest, RateTable, debts_open
from liaison.referrals import events
from liaison.referrals.models import (
    HOLDS_REFERENCE, TRANSITIONS, Channel, ImportRow, QueueReason, Reason, Referral, Status,
)
from liaison.referrals.validation import CleanReferral, Fault, validate

RESENT = "RESENT"
VALIDATED_SUMMARY = "Checked: no missing or invalid data"
NOTICE_FOR_OUTCOME = {
    Status.LOADED: "HBREC",
    Status.RETURNED_NON_QUALITY: "LARETM",
    Status.RETURNED_NO_BENEFIT: "LARET",
    Status.NOT_LOADED_INSTALMENT_PLAN: "CLERICAL",
    Status.NOT_LOADED_DUPLICATE: "CLERICAL",
}
OUTCOME_EVENT = {
    Status.LOADED: events.LOADED,
    Status.RETURNED_NON_QUALITY: events.RETURNED,
    Status.RETURNED_NO_BENEFIT: events.RETURNED,
    Status.NOT_LOADED_INSTALMENT_PLAN: events.NOT_LOADED,
    Status.NOT_LOADED_DUPLICATE: events.NOT_LOADED,
    Status.QUEUED: events.QUEUED,
}


@dataclass
class RowResult:
    """What happened to one referral received: a new outcome, or recognition of one already held."""

    row: int | None
    la_reference: str
    outcome: str
    outcome_label: str
    referral_id: int | None = None
    case_reference: str = ""
    faults: list[dict] = field(default_factory=list)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "la_reference": self.la_reference, "outcome": self.outcome,
                "outcome_label": self.outcome_label, "referral_id": self.referral_id,
                "case_reference": self.case_reference, "faults": self.faults, "detail": self.detail}


@dataclass
class _Item:
    row: int | None
    data: dict[str, Any]
    clean: CleanReferral
    status: str = ""
    queue_reason: str = ""
    detail: str = ""
    award_benefit: str = ""
    resent_of: tuple[int, str, int] | None = None  # (referral id, status, case id)
    resent_of_row: int | None = None
    penalty_overpayment: Any = None  # ("db", id, debt id, status, nino) or ("batch", _Item)
    referral: Referral | None = None
    # What was recorded for it (set by either way of writing: model instances, or set-based on PostgreSQL)
    referral_id: int | None = None
    case_id: int | None = None
    debt_id: int | None = None


@dataclass
class Checked:
    """Rows validated ahead of receiving them (a bulk file checks its next chunk while the database works on
    this one), and what they were checked against; used only if that is still what applies when received."""

    la_code: str
    today: dt.date
    reason_codes: frozenset[str]
    cleans: list[CleanReferral]
    registers: Registers | None = None  # what the registers held for their NINOs, if looked up ahead


@dataclass
class Registers:
    """What the benefit register and Debt Manager's instalment plans held, on `today`, for `ninos`: looked up
    ahead of scrutiny (a bulk file's reader does it for the next chunk while this one is scrutinised). The
    registers are not written by referrals, so a look-up a moment early is as good as one made at scrutiny."""

    ninos: frozenset[str]
    awards: dict[str, list] | None  # None: the benefit register could not be reached
    planned: set[str]

    @classmethod
    def look_up(cls, ninos: set[str], *, today: dt.date) -> Registers:
        try:
            awards = get_register().current_prescribed_awards(ninos, on=today)
        except RegisterUnavailable:
            awards = None
        return cls(ninos=frozenset(ninos), awards=awards,
                   planned=ninos_with_current_instalment_plan(ninos, on=today) if ninos else set())


def referrals_check(rows: Sequence[tuple[int | None, dict[str, Any]]], *, la_code: str, today: dt.date,
                    reason_codes: frozenset[str], look_up_registers: bool = False) -> Checked:
    """Validate rows (pure: no database), for `referrals_receive(checked=...)`; with `look_up_registers`, also
    look up the NINOs of the rows without faults in the registers scrutiny consults (`Registers`)."""
    cleans = [validate(data, la_code=la_code, today=today, reason_codes=reason_codes) for _, data in rows]
    registers = None
    if look_up_registers:
        registers = Registers.look_up({c.nino for c in cleans if c.nino and not c.faults}, today=today)
    return Checked(la_code=la_code, today=today, reason_codes=reason_codes, cleans=cleans, registers=registers)


def referrals_receive(*, la: Organisation, channel: str, rows: Sequence[tuple[int | None, dict[str, Any]]],
                      actor, received_at: dt.datetime | None = None, batch=None,
                      rates: RateTable | None = None, checked: Checked | None = None) -> list[RowResult]:
    """Receive referrals from an LA and scrutinise each one. Atomic: all of `rows` are recorded, or none.

    `checked`: the same rows already validated by `referrals_check`; they are validated again here unless it
    was for this LA, this day and the reasons now in force."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return referrals_record(referrals_prepare(
                    la=la, channel=channel, rows=rows, actor=actor, received_at=received_at, batch=batch,
                    rates=rates, checked=checked if attempt == 0 else None))
        except IntegrityError:
            # Another request recorded one of these LA references between our check and our insert: look again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class InFlight:
    """What chunks of referrals being recorded (on other connections, not yet committed) will hold, for the
    look-ups of the chunk prepared meanwhile: the database cannot show it yet, so this does."""

    held: dict[str, tuple[int, str, int]]  # LA reference -> (referral id, status, case id), references it holds
    overpayments: dict[str, tuple[int, str, int | None, str]]  # ... -> (id, NINO, debt id, status), not penalties
    customers: dict[str, list[tuple]]  # NINO -> (id, is penalty, from, to, balance, LA reference), loaded/queued

    @classmethod
    def of(cls, items: list[_Item]) -> InFlight:
        held, overpayments, customers = {}, {}, {}
        for item in items:
            c = item.clean
            if item.status in HOLDS_REFERENCE and c.la_reference:
                held[c.la_reference] = (item.referral_id, item.status, item.case_id)
                if not c.is_civil_penalty:
                    overpayments[c.la_reference] = (item.referral_id, c.nino, item.debt_id, item.status)
            if item.status in (Status.LOADED, Status.QUEUED):
                customers.setdefault(c.nino, []).append(
                    (item.referral_id, c.is_civil_penalty, c.period_from, c.period_to, c.outstanding_balance_pence,
                     c.la_reference))
        return cls(held=held, overpayments=overpayments, customers=customers)

    @classmethod
    def merged(cls, flights: Sequence[InFlight]) -> InFlight | None:
        """Several chunks in flight as one (oldest first)."""
        if not flights:
            return None
        if len(flights) == 1:
            return flights[0]
        held, overpayments, customers = {}, {}, {}
        for flight in flights:
            held.update(flight.held)
            overpayments.update(flight.overpayments)
            for nino, rows in flight.customers.items():
                customers.setdefault(nino, []).extend(rows)
        return cls(held=held, overpayments=overpayments, customers=customers)

    def named_by(self, prepared: Prepared) -> set[int]:
        """The items of `prepared` (by id()) that refer to a referral of these chunks (a re-send's timeline, a
        Civil Penalty's overpayment): those can be written only once the chunks have committed."""
        ids = {held[0] for held in self.held.values()}
        naming = set()
        for item in prepared.items:
            link = item.penalty_overpayment
            if (item.resent_of and item.resent_of[0] in ids) or (link and link[0] == "db" and link[1] in ids):
                naming.add(id(item))
        return naming


def _nothing() -> None:
    return None


@dataclass
class Prepared:
    """Referrals received and scrutinised, ready to record (`referrals_record`): each has its outcome, and on
    the set-based way of writing its ids and staged row too."""

    la: Organisation
    channel: str
    actor: Any
    received_at: dt.datetime
    batch: Any
    rates: RateTable | None
    porth: Organisation
    items: list[_Item]
    live: list[_Item]  # the new ones (not re-sent)
    staged: Any = None  # fanout.Staged, when written set-based
    # Items naming rows of a chunk still in flight (by id()): written once that has committed. Set-based, only
    # they wait (`staged_after`, and the re-sends), the rest is written at once: `previous_committed` is the wait,
    # set by whoever writes the chunk behind (core.csvfile). Otherwise the whole chunk waits (`needs_previous`).
    naming_previous: set[int] = field(default_factory=set)
    staged_after: Any = None  # fanout.Staged of the live items naming rows in flight
    previous_committed: Callable[[], None] = _nothing

    @property
    def needs_previous(self) -> bool:
        """Whether nothing of this chunk may be written before the chunk in flight commits (core.csvfile)."""
        return self.staged is None and bool(self.naming_previous)

    def in_flight(self) -> InFlight:
        """What this chunk will hold once recorded (for the chunk prepared while it is written)."""
        assert self.staged is not None or not self.live, "only a staged chunk knows its ids before it is written"
        return InFlight.of(self.live)


def referrals_prepare(*, la: Organisation, channel: str, rows: Sequence[tuple[int | None, dict[str, Any]]],
                      actor, received_at: dt.datetime | None = None, batch=None, rates: RateTable | None = None,
                      checked: Checked | None = None, in_flight: InFlight | None = None) -> Prepared:
    """Validate and scrutinise referrals (reads only; the ids of a set-based write come from the sequences),
    against what is held plus `in_flight`, the chunks being recorded meanwhile, if any; marks the result
    `needs_previous` if it names their rows."""
    if not la.is_la:
        raise ApplicationError("Only a Local Authority can refer an overpayment.")
    received_at = received_at or timezone.now()
    today = timezone.localdate(received_at)
    reason_codes = frozenset(Reason.objects.filter(active=True).values_list("code", flat=True))
    if (checked is None or (checked.la_code, checked.today, checked.reason_codes) != (la.code, today, reason_codes)
            or len(checked.cleans) != len(rows)):
        checked = referrals_check(rows, la_code=la.code, today=today, reason_codes=reason_codes)
    items = [_Item(row=row, data=data, clean=clean) for (row, data), clean in zip(rows, checked.cleans, strict=True)]
    for item in items:
        # Faults of the row itself (a bulk file row with too many or too few values) come first.
        row_faults = [Fault("row", message) for message in item.data.get("_row_faults", ())]
        item.clean.faults[:0] = row_faults

    _recognise_resent(la, items, in_flight)
    live = [i for i in items if i.resent_of is None and i.resent_of_row is None]
    _link_civil_penalties(la, live, in_flight)
    _scrutinise(live, today=today, in_flight=in_flight, registers=checked.registers)
    porth = Organisation.objects.get(unit=Organisation.Unit.CC_PORTH)
    prepared = Prepared(la=la, channel=channel, actor=actor, received_at=received_at, batch=batch, rates=rates,
                        porth=porth, items=items, live=live)
    naming = prepared.naming_previous = in_flight.named_by(prepared) if in_flight is not None else set()
    if live and _writes_set_based(live, batch):
        from liaison.referrals import fanout

        prepared.staged = fanout.stage(la=la, channel=channel, items=live, actor=actor, received_at=received_at,
                                       batch=batch, porth=porth, rates=rates, later=naming)
        if prepared.staged.has_later:
            prepared.staged, prepared.staged_after = prepared.staged.split()
    return prepared


def referrals_record(prepared: Prepared) -> list[RowResult]:
    """Record prepared referrals: cases, referrals, debts, notices, e-mails and timelines. Inside the caller's
    transaction (the database refuses, with an IntegrityError, an LA reference recorded meanwhile)."""
    p = prepared
    if p.staged is not None:
        from liaison.referrals import fanout

        fanout.write(p.staged)
        if p.naming_previous:
            p.previous_committed()  # what follows names rows the chunk before is writing: they must be there
            if p.staged_after is not None:
                fanout.write(p.staged_after)
    elif p.live:
        _persist(la=p.la, channel=p.channel, items=p.live, actor=p.actor, received_at=p.received_at,
                 batch=p.batch, porth=p.porth, rates=p.rates)
    live_ids = {id(i) for i in p.live}
    _record_resent(la=p.la, items=[i for i in p.items if id(i) not in live_ids], actor=p.actor,
                   received_at=p.received_at, batch=p.batch)
    return [_result(i) for i in p.items]


def _recognise_resent(la, items: list[_Item], in_flight: InFlight | None = None) -> None:
    refs = {i.clean.la_reference for i in items if i.clean.la_reference}
    held = {}
    if refs:
        for ref_id, ref, status, case_id in Referral.objects.filter(
                la=la, la_reference__any=refs, status__in=HOLDS_REFERENCE).values_list(
                "id", "la_reference", "status", "case_id"):
            held[ref] = (ref_id, status, case_id)
        if in_flight:
            held.update((ref, v) for ref, v in in_flight.held.items() if ref in refs)
    first_row: dict[str, _Item] = {}
    for item in items:
        ref = item.clean.la_reference
        if not ref:
            continue
        if ref in held:
            item.resent_of = held[ref]
        elif ref in first_row and not first_row[ref].clean.faults:
            item.resent_of_row = first_row[ref].row
        else:
            first_row.setdefault(ref, item)


def _link_civil_penalties(la, items: list[_Item], in_flight: InFlight | None = None) -> None:
    penalties = [i for i in items if i.clean.is_civil_penalty and i.clean.penalty_overpayment_reference]
    if not penalties:
        return
    refs = {i.clean.penalty_overpayment_reference for i in penalties}
    held = {ref: (rid, nino, debt_id, status) for rid, ref, nino, debt_id, status in Referral.objects.filter(
        la=la, la_reference__any=refs, status__in=HOLDS_REFERENCE, is_civil_penalty=False).values_list(
        "id", "la_reference", "nino", "debt_id", "status")}
    if in_flight:
        held.update((ref, v) for ref, v in in_flight.overpayments.items() if ref in refs)
    in_batch = {}
    for item in items:
        if not item.clean.is_civil_penalty and item.clean.la_reference and not item.clean.faults:
            in_batch.setdefault(item.clean.la_reference, item)
        if item.clean.is_civil_penalty and item.clean.penalty_overpayment_reference:
            ref = item.clean.penalty_overpayment_reference
            if ref in held:
                rid, nino, debt_id, status = held[ref]
                item.penalty_overpayment = ("db", rid, debt_id, status, nino)
            elif ref in in_batch:
                item.penalty_overpayment = ("batch", in_batch[ref])
            else:
                item.clean.faults.append(Fault(
                    "civil_penalty_overpayment_reference",
                    f"No overpayment referral with LA reference {ref} is held for your authority: refer the "
                    "overpayment first, or above the Civil Penalty in the same file"))
                continue
            nino = item.penalty_overpayment[4] if item.penalty_overpayment[0] == "db" else \
                item.penalty_overpayment[1].clean.nino
            if item.clean.nino and nino and nino != item.clean.nino:
                item.clean.faults.append(Fault(
                    "civil_penalty_overpayment_reference",
                    f"The overpayment {ref} is for a different customer (National Insurance number)"))
                item.penalty_overpayment = None


def _periods_overlap(a_from, a_to, b_from, b_to) -> bool:
    return a_from <= b_to and b_from <= a_to


def _scrutinise(items: list[_Item], *, today: dt.date, in_flight: InFlight | None = None,
                registers: Registers | None = None) -> None:
    """The checks of SLA 7.2, in order; each item gets exactly one status. `registers`: what the registers held,
    looked up ahead on this day, for some or all of the NINOs (any others are looked up now)."""
    # 1. Non-quality
    pending = []
    for item in items:
        if item.clean.faults:
            item.status = Status.RETURNED_NON_QUALITY
            item.detail = f"{len(item.clean.faults)} missing or invalid item(s) of data"
        else:
            pending.append(item)
    if not pending:
        return
    # 2. Customer not in receipt of a prescribed benefit (the benefit register, our CIS stand-in)
    ninos = {i.clean.nino for i in pending}
    if registers is None or registers.awards is None or not ninos <= registers.ninos:  # (unreachable: try again)
        registers = Registers.look_up(ninos, today=today)
    awards = registers.awards
    if awards is None:
        for item in pending:
            item.status, item.queue_reason = Status.QUEUED, QueueReason.REGISTER_UNAVAILABLE
            item.detail = "The benefit register could not be checked; an officer will check CIS"
        return
    still = []
    for item in pending:
        found = awards.get(item.clean.nino)
        if not found:
            item.status = Status.RETURNED_NO_BENEFIT
            item.detail = "The customer is not receiving a prescribed benefit that DM can recover from"
        else:
            item.award_benefit = max(found, key=lambda a: a.weekly_amount_pence).benefit_name
            still.append(item)
    # 3. A current instalment plan on Debt Manager
    planned = registers.planned
    pending, still = still, []
    for item in pending:
        if item.clean.nino in planned:
            item.status = Status.NOT_LOADED_INSTALMENT_PLAN
            item.detail = "The customer already has a current instalment plan on Debt Manager"
        else:
            still.append(item)
    # 4. Duplicate: same customer, overlapping period and the same balance (same LA and reference is a re-send)
    ninos = {i.clean.nino for i in still}
    known = {row[0]: row for row in Referral.objects.filter(
        nino__any=ninos, status__in=[Status.LOADED, Status.QUEUED]).values_list(
        "id", "nino", "is_civil_penalty", "period_from", "period_to", "outstanding_balance_pence", "la_reference")}
    if in_flight:
        for nino in ninos & in_flight.customers.keys():
            for rid, *rest in in_flight.customers[nino]:
                known.setdefault(rid, (rid, nino, *rest))
    by_nino: dict[str, list[tuple]] = {}
    for _, nino, *rest in sorted(known.values()):  # oldest first
        by_nino.setdefault(nino, []).append(rest)
    for item in still:
        c = item.clean
        exact = near = None
        for penalty, p_from, p_to, balance, ref in by_nino.get(c.nino, []):
            if penalty != c.is_civil_penalty or not _periods_overlap(c.period_from, c.period_to, p_from, p_to):
                continue
            if balance == c.outstanding_balance_pence:
                exact = ref
                break
            near = near or ref
        if exact:
            item.status = Status.NOT_LOADED_DUPLICATE
            item.detail = f"A referral for this customer, period and balance is already held (reference {exact})"
        elif near:
            item.status, item.queue_reason = Status.QUEUED, QueueReason.POSSIBLE_DUPLICATE
            item.detail = f"Overlaps referral {near} for the same customer with a different balance"
        elif c.is_civil_penalty and not _penalty_overpayment_loaded(item):
            item.status, item.queue_reason = Status.QUEUED, QueueReason.PENALTY_OVERPAYMENT_PENDING
            item.detail = "The overpayment this Civil Penalty belongs to is not loaded yet"
        else:
            item.status = Status.LOADED
        if item.status in (Status.LOADED, Status.QUEUED):
            by_nino.setdefault(c.nino, []).append([c.is_civil_penalty, c.period_from, c.period_to,
                                                   c.outstanding_balance_pence, c.la_reference])


def _penalty_overpayment_loaded(item: _Item) -> bool:
    link = item.penalty_overpayment
    if link is None:
        return False
    if link[0] == "db":
        return link[3] == Status.LOADED
    return link[1].status == Status.LOADED


# On PostgreSQL a bulk file's chunks, and any call with at least this many referrals, are written set-based
# (liaison.referrals.fanout); a few at a time (the web form, a small API call) as model instances, which needs no
# staging table. Both write the same rows (tests/referrals/test_fanout.py).
FANOUT_MIN_ROWS = 100


def _writes_set_based(items: list[_Item], batch) -> bool:
    return connection.vendor == "postgresql" and (batch is not None or len(items) >= FANOUT_MIN_ROWS)


def _persist(*, la, channel, items: list[_Item], actor, received_at, batch, porth, rates) -> None:
    """Record `items` as model instances (the other way, set-based, is `fanout`)."""
    if not items:
        return
    actor_id = getattr(actor, "pk", None)
    actor_org_id = getattr(actor, "organisation_id", None) or la.pk
    cases = bulk_insert([unsaved(Case, la=la, opened_at=received_at) for _ in items])
    referrals = []
    for item, case in zip(items, cases, strict=True):
        c = item.clean
        item.referral = unsaved(
            Referral, case=case, la=la, channel=channel, submitted_by_id=actor_id, import_batch=batch,
            source_row=item.row,
            received_at=received_at, status=item.status, queue_reason=item.queue_reason,
            decided_at=None if item.status == Status.QUEUED else received_at,
            faults=[f.as_dict() for f in c.faults],
            submitted=_submitted_copy(item.data) if c.faults else {},
            referral_date=c.referral_date, cis_checked_on=c.cis_checked_on, customer_name=c.customer_name,
            address_line_1=c.address_line_1, address_line_2=c.address_line_2, address_line_3=c.address_line_3,
            address_line_4=c.address_line_4, postcode=c.postcode, nino=c.nino, date_of_birth=c.date_of_birth,
            la_reference=c.la_reference, la_code=c.la_code, cause=c.cause, classification=c.classification,
            reason_id=c.reason_code or None, reason_other=c.reason_other, period_from=c.period_from,
            period_to=c.period_to, amount_recovered_pence=c.amount_recovered_pence,
            outstanding_balance_pence=c.outstanding_balance_pence, benefit_type=c.benefit_type,
            is_civil_penalty=c.is_civil_penalty, penalty_overpayment_reference=c.penalty_overpayment_reference,
        )
        referrals.append(item.referral)
    loaded = [i for i in items if i.status == Status.LOADED]
    _open_debts(la, loaded, received_at, rates)
    for item in items:
        link = item.penalty_overpayment
        if link and link[0] == "db":
            item.referral.penalty_overpayment_id = link[1]
    bulk_insert(referrals)
    updates = []
    for item in items:
        link = item.penalty_overpayment
        if link and link[0] == "batch":
            item.referral.penalty_overpayment_id = link[1].referral.pk
            updates.append(item.referral)
    Referral.objects.bulk_update(updates, ["penalty_overpayment"], batch_size=2000)
    for item in items:
        item.referral_id, item.case_id, item.debt_id = item.referral.pk, item.referral.case_id, item.referral.debt_id

    timeline_rows = []
    for item in items:
        r = item.referral
        timeline_rows.append(timeline.build(
            case_id=r.case_id, la_id=la.pk, kind=events.RECEIVED, occurred_at=received_at, actor_id=actor_id,
            actor_organisation_id=actor_org_id,
            summary=received_summary(r.la_reference, channel),
            data={"referral_id": r.pk, "channel": channel, **({"row": item.row} if item.row else {}),
                  **({"batch_id": batch.pk} if batch else {})}))
        if item.status != Status.RETURNED_NON_QUALITY:
            timeline_rows.append(timeline.build(
                case_id=r.case_id, la_id=la.pk, kind=events.VALIDATED, occurred_at=received_at, actor_id=None,
                actor_organisation_id=porth.pk, summary=VALIDATED_SUMMARY))
        timeline_rows.append(_outcome_event(item, la, porth, received_at, decided_by=None))
    bulk_insert(timeline_rows)
    _issue_outcome_notices(la, items, porth, received_at, actor_id=None)


def _open_debts(la, loaded: list[_Item], when, rates) -> None:
    """Open a debt for each loaded referral; an overpayment's debt before its Civil Penalty's."""
    if not loaded:
        return
    site = owning_site(la)
    site_id = site.pk
    rates = rates or RateTable()
    first = [i for i in loaded if not i.clean.is_civil_penalty]
    second = [i for i in loaded if i.clean.is_civil_penalty]
    for group in (first, second):
        requests = []
        for item in group:
            c, r = item.clean, item.referral
            overpayment_id = None
            if c.is_civil_penalty and item.penalty_overpayment:
                link = item.penalty_overpayment
                overpayment_id = link[2] if link[0] == "db" else link[1].referral.debt_id
            requests.append(DebtRequest(
                case_id=r.case_id, la_id=la.pk, owning_site_id=site_id, nino=c.nino, debtor_name=c.customer_name,
                la_reference=c.la_reference, benefit_type=c.benefit_type, classification=c.classification,
                balance_pence=c.outstanding_balance_pence, is_civil_penalty=c.is_civil_penalty,
                overpayment_id=overpayment_id))
        for item, debt in zip(group, debts_open(requests=requests, loaded_at=when, rates=rates), strict=True):
            debt.owning_site = site  # in memory: the notices need it, and a query per debt would not do
            item.referral.debt = debt


def _outcome_event(item: _Item, la, porth, when, *, decided_by) -> Event:
    r = item.referral
    data: dict[str, Any] = {"referral_id": r.pk, "status": item.status}
    if item.status == Status.RETURNED_NON_QUALITY:
        data["faults"] = r.faults
    if item.queue_reason:
        data["queue_reason"] = item.queue_reason
    if r.debt_id:
        debt = r.debt
        data.update({"debt_id": debt.pk, "recovery_start_date": debt.recovery_start_date.isoformat(),
                     "weekly_rate_pence": debt.weekly_rate_pence, "balance_pence": debt.original_balance_pence})
    terms = (r.debt.original_balance_pence, r.debt.recovery_start_date, r.debt.weekly_rate_pence) if r.debt_id else None
    summary = outcome_summary(item.status, item.detail, terms)
    if decided_by is not None:
        data["decided_by_officer"] = True
    return timeline.build(
        case_id=r.case_id, la_id=la.pk, kind=OUTCOME_EVENT[item.status], occurred_at=when,
        actor_id=getattr(decided_by, "pk", None), actor_organisation_id=porth.pk, summary=summary, data=data)


def received_summary(la_reference: str, channel: str) -> str:
    """The timeline's line for a referral received."""
    return f"Referral {la_reference or '(no reference)'} received by {Channel(channel).label.lower()}"[:500]


def owning_site(la) -> Organisation:
    """The CCG site that owns an LA's loaded debts and is named on the notice of recovery; Dearne Valley where the
    LA has none (SLA Appendix 8)."""
    return la.ccg_site or Organisation.objects.get(code="DM-CCG-DEARNE")


def outcome_summary(status: str, detail: str, debt: tuple[int, dt.date, int] | None) -> str:
    """The timeline's line for a referral's outcome; `debt` is (balance, recovery start date, weekly rate) of
    the debt opened, if one was."""
    if debt is not None:
        balance, start, weekly = debt
        return (f"Loaded onto Debt Manager: recovery of {format_pence(balance)} from {start:%d %B %Y} at "
                f"{format_pence(weekly)} a week")
    summary = Status(status).label
    return f"{summary}. {detail}" if detail else summary


def _issue_outcome_notices(la, items: list[_Item], porth, when, *, actor_id) -> None:
    requests = []
    date = _letter_date(when)
    for item in items:
        code = NOTICE_FOR_OUTCOME.get(item.status)
        if code is None:
            continue
        requests.append(NoticeRequest(code=code, case_id=item.referral.case_id, la_id=la.pk, to=la.intake_email,
                                      context=notice_context(item, la, porth, when, date=date), actor_id=actor_id,
                                      actor_organisation_id=porth.pk))
    notices_issue(requests=requests, issued_by_id=porth.pk, issued_at=when)


def _letter_date(when: dt.datetime) -> str:
    return f"{timezone.localdate(when):%d %B %Y}"


def notice_context(item: _Item, la, porth, when, *, date: str | None = None) -> dict[str, Any]:
    """The letter's content, fixed at issue. `date` is `when` as the letter shows it, when already known."""
    r = item.referral
    debt = r.debt if item.status == Status.LOADED else None
    return letter_context(
        status=item.status, detail=item.detail, award_benefit=item.award_benefit,
        sent_name=item.data.get("customer_name"), customer_name=r.customer_name, nino=r.nino,
        la_reference=r.la_reference, case_id=r.case_id, benefit_type=r.benefit_type,
        is_civil_penalty=r.is_civil_penalty, balance_pence=r.outstanding_balance_pence,
        classification=r.classification, faults=r.faults,
        debt=(debt.recovery_start_date, debt.weekly_rate_pence) if debt else None,
        site=debt.owning_site if debt else None, la=la, porth=porth, date=date or _letter_date(when))


def letter_context(*, status: str, detail: str, award_benefit: str, sent_name, customer_name: str, nino: str,
                   la_reference: str, case_id: int | None, benefit_type: str, is_civil_penalty: bool,
                   balance_pence: int | None, classification: str, faults: list[dict],
                   debt: tuple[dt.date, int] | None, site, la, porth, date: str) -> dict[str, Any]:
    """The outcome letter's content from the referral's values (either way of writing a referral uses it);
    `debt` is (recovery start date, weekly rate) and `site` the owning CCG site, for a loaded one."""
    ctx: dict[str, Any] = {
        "date": date,
        "la_name": la.name, "la_code": la.code, "la_address_lines": la.address_lines,
        "from_unit": porth.name, "from_address_lines": porth.address_lines, "from_postcode": porth.postcode,
        "customer_name": customer_name or sent_name or "(not given)",
        "nino": nino or "(not given)", "la_reference": la_reference or "(not given)",
        "case_reference": f"C{case_id:07d}" if case_id else "",
        "benefit": {"HB": "Housing Benefit", "CTB": "Council Tax Benefit"}.get(benefit_type, "(not given)"),
        "is_civil_penalty": is_civil_penalty,
        "balance": format_pence(balance_pence) if balance_pence else "",
        "contact_name": "CC Porth", "contact_email": "",
    }
    if status == Status.LOADED:
        start, weekly = debt
        ctx.update({
            "recovery_start_date": f"{start:%d %B %Y}",
            "weekly_rate": format_pence(weekly),
            "rate_basis": "Fraud rate" if classification == "FRAUD" else "Standard rate",
            "owning_site": site.name, "owning_site_email": site.intake_email,
            "award_benefit": award_benefit or "a prescribed benefit",
            "contact_name": site.name, "contact_email": site.intake_email,
        })
    elif status == Status.RETURNED_NON_QUALITY:
        ctx["faults"] = faults
    elif status == Status.RETURNED_NO_BENEFIT:
        ctx.update({"reason": "Customer not in receipt of a prescribed benefit",
                    "explanation": detail + ". DM can only recover from a current award of a benefit "
                                            "listed in Appendix 4 of the Service Level Agreement."})
    else:
        ctx.update({"reason": Status(status).label.replace("Not loaded: ", "").capitalize(),
                    "explanation": detail + "."})
    if detail and status != Status.LOADED and "explanation" in ctx and status == Status.QUEUED:
        ctx["explanation"] = detail
    return ctx


def _submitted_copy(data: dict[str, Any]) -> dict[str, Any]:
    """What was sent, kept for a returned referral (bounded: a hostile row cannot bloat the database)."""
    copy = {}
    for key, value in list(data.items())[:40]:
        text = value if isinstance(value, str) else repr(value)
        copy[str(key)[:60]] = text[:300]
    return copy


def _record_resent(*, la, items: list[_Item], actor, received_at, batch) -> None:
    if not items:
        return
    rows, timeline_rows = [], []
    for item in items:
        if item.resent_of:
            rid, status, case_id = item.resent_of
            item.detail = f"Already received: referral {item.clean.la_reference} is held ({Status(status).label})"
            timeline_rows.append(timeline.build(
                case_id=case_id, la_id=la.pk, kind=events.RESENT, occurred_at=received_at,
                actor_id=getattr(actor, "pk", None), actor_organisation_id=la.pk,
                summary="The same referral was sent again; it was recognised and not loaded twice",
                data={"referral_id": rid, **({"batch_id": batch.pk, "row": item.row} if batch else {})}))
        else:
            item.detail = f"Same LA reference as row {item.resent_of_row} of this file; not loaded twice"
        if batch is not None:
            rows.append(unsaved(ImportRow, batch=batch, row_number=item.row or 0, outcome=RESENT,
                                la_reference=item.clean.la_reference,
                                referral_id=item.resent_of[0] if item.resent_of else None,
                                faults=[{"field": "la_reference", "label": "LA reference number",
                                         "message": item.detail}]))
    bulk_insert(rows)
    bulk_insert(timeline_rows)


def _result(item: _Item) -> RowResult:
    if item.referral_id is None:
        rid = item.resent_of[0] if item.resent_of else None
        return RowResult(row=item.row, la_reference=item.clean.la_reference, outcome=RESENT,
                         outcome_label="Already received", referral_id=rid, detail=item.detail)
    return RowResult(row=item.row, la_reference=item.clean.la_reference, outcome=item.status,
                     outcome_label=Status(item.status).label, referral_id=item.referral_id,
                     case_reference=f"C{item.case_id:07d}", faults=[f.as_dict() for f in item.clean.faults],
                     detail=item.detail)


# --- The CC Porth work queue -------------------------------------------------------------------------------

DECISIONS = {
    Status.LOADED: "Load for recovery",
    Status.RETURNED_NO_BENEFIT: "Return: customer not in receipt of a prescribed benefit",
    Status.NOT_LOADED_INSTALMENT_PLAN: "Do not load: a current instalment plan is held",
    Status.NOT_LOADED_DUPLICATE: "Do not load: duplicate of a referral already held",
}


def referral_assign(*, referral: Referral, assignee, actor, now: dt.datetime | None = None) -> Referral:
    now = now or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status != Status.QUEUED:
            raise ApplicationError("This referral has already been decided.")
        referral.assigned_to = assignee
        referral.save(update_fields=["assigned_to"])
        timeline.record(case=referral.case, kind=events.ASSIGNED, occurred_at=now, actor=actor,
                        summary=f"Assigned to {assignee.display_name}" if assignee else "Unassigned",
                        data={"assignee_id": getattr(assignee, "pk", None)})
    return referral


def referral_decide(*, referral: Referral, outcome: str, reasons: str, actor, now: dt.datetime | None = None,
                    rates: RateTable | None = None) -> Referral:
    """A CC Porth officer decides a queued referral, giving reasons. The outcome is final."""
    now = now or timezone.now()
    reasons = (reasons or "").strip()
    faults = {}
    if outcome not in DECISIONS:
        faults["outcome"] = "Choose a decision"
    if not reasons:
        faults["reasons"] = "Give the reasons for your decision"
    elif len(reasons) > 2000:
        faults["reasons"] = "Reasons must be 2,000 characters or fewer"
    if faults:
        raise ApplicationError("The decision could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("la", "case").get(pk=referral.pk)
        if outcome not in TRANSITIONS.get(referral.status, ()):
            raise ApplicationError(f"This referral is already decided ({Status(referral.status).label}).",
                                   status=409)
        la, porth = referral.la, Organisation.objects.get(unit=Organisation.Unit.CC_PORTH)
        clean = CleanReferral(nino=referral.nino, customer_name=referral.customer_name,
                              la_reference=referral.la_reference, benefit_type=referral.benefit_type,
                              classification=referral.classification, is_civil_penalty=referral.is_civil_penalty,
                              outstanding_balance_pence=referral.outstanding_balance_pence)
        item = _Item(row=referral.source_row, data={}, clean=clean, status=outcome, referral=referral,
                     detail=f"Decided by {actor.display_name}: {reasons}")
        if outcome == Status.LOADED:
            if referral.is_civil_penalty and referral.penalty_overpayment_id:
                overpayment = referral.penalty_overpayment
                if overpayment.debt_id is None:
                    raise ApplicationError("Load the overpayment this Civil Penalty belongs to first.", status=409)
                item.penalty_overpayment = ("db", overpayment.pk, overpayment.debt_id, overpayment.status,
                                            overpayment.nino)
            awards = _awards_or_none(referral.nino, timezone.localdate(now))
            if awards:
                item.award_benefit = max(awards, key=lambda a: a.weekly_amount_pence).benefit_name
            _open_debts(la, [item], now, rates)
        referral.status = outcome
        referral.decided_at, referral.decided_by, referral.decision_reasons = now, actor, reasons
        referral.save(update_fields=["status", "decided_at", "decided_by", "decision_reasons", "debt"])
        Event.objects.bulk_create([_outcome_event(item, la, porth, now, decided_by=actor)])
        _issue_outcome_notices(la, [item], porth, now, actor_id=actor.pk)
    return referral


def _awards_or_none(nino: str, on: dt.date):
    try:
        return get_register().current_prescribed_awards([nino], on=on).get(nino)
    except RegisterUnavailable:
        return None


def debt_for_referral(referral: Referral) -> Debt | None:
    return referral.debt
