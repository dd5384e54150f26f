"""Writing a chunk of received referrals set-based on PostgreSQL: one staged row per referral, fanned out.

The scrutiny is decided in Python (`liaison.referrals.services`); what it decided for each referral is then one
row of a staging table, COPY'd in binary, and one INSERT ... SELECT per table writes the cases, referrals, debts,
notices, outbox e-mails and timeline events from it. The rows are the same, column for column and in the same
order, as the other way of writing (model instances, `services._persist`), which the web form and SQLite use:
`tests/referrals/test_fanout.py` holds the two to that. Per referral this makes one row in Python instead of nine
model instances, and the timeline's JSON is built by the database. See docs/adr/0013.

Every value that needs a rule (the letter's content, the summaries, the debt's start and rate) is still worked
out by the same Python functions as before; the SQL here only places values and builds the events' small JSON.
`stage` works the rows out (no transaction needed: a bulk file stages its next chunk while a second connection
writes this one, ADR 0014); `write` records them, inside the caller's transaction. The staging table is
temporary, private to the connection and emptied at commit (or rollback).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.utils import timezone

from liaison.core.bulk import copy_in, insert_select, take_ids
from liaison.core.models import Case, Event
from liaison.notices.events import NOTICE_ISSUED
from liaison.notices.models import Notice, OutboxMessage
from liaison.notices.services import email_subject, issued_summary, schedule_delivery
from liaison.recovery.models import Debt
from liaison.recovery.services import RateTable, _notice_days, recovery_terms
from liaison.referrals import events, services
from liaison.referrals.models import Referral, Status

# (column, type): the staging table, in the order each row is written
_COLUMNS = [
    ("ord", "integer"), ("case_id", "bigint"), ("referral_id", "bigint"), ("debt_id", "bigint"),
    ("notice_id", "bigint"), ("source_row", "integer"), ("status", "text"), ("queue_reason", "text"),
    ("faults", "jsonb"), ("submitted", "jsonb"), ("referral_date", "date"), ("cis_checked_on", "date"),
    ("customer_name", "text"), ("address_line_1", "text"), ("address_line_2", "text"), ("address_line_3", "text"),
    ("address_line_4", "text"), ("postcode", "text"), ("nino", "text"), ("date_of_birth", "date"),
    ("la_reference", "text"), ("la_code", "text"), ("cause", "text"), ("classification", "text"),
    ("reason_id", "text"), ("reason_other", "text"), ("period_from", "date"), ("period_to", "date"),
    ("amount_recovered_pence", "integer"), ("outstanding_balance_pence", "integer"), ("benefit_type", "text"),
    ("is_civil_penalty", "boolean"), ("penalty_overpayment_reference", "text"), ("penalty_overpayment_id", "bigint"),
    ("weekly_rate_pence", "integer"), ("recovery_start_date", "date"), ("overpayment_debt_id", "bigint"),
    ("received_summary", "text"), ("outcome_kind", "text"), ("outcome_summary", "text"), ("notice_code", "text"),
    ("notice_context", "jsonb"), ("outbox_subject", "text"), ("notice_summary", "text"),
    ("later", "boolean"),  # written later in the same transaction (`Staged.split`): only its case is written now
]
_TYPES = [t for _, t in _COLUMNS]
# Named by its shape: a session kept open by a pooler may still hold the staging table an older release made.
STAGE = f"liaison_referral_stage_{zlib.crc32(repr(_COLUMNS).encode()):08x}"
_CREATE = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ("
           + ", ".join(f"{name} {kind}" for name, kind in _COLUMNS) + ") ON COMMIT DELETE ROWS")


@dataclass
class Staged:
    """A chunk ready to write: its staged rows, the statements that fan them out and their parameters."""

    rows: list[tuple]
    statements: list[str]
    params: dict[str, Any]
    deliver: bool

    @property
    def has_later(self) -> bool:
        return any(row[-1] for row in self.rows)

    def split(self) -> tuple[Staged, Staged]:
        """The chunk as two writes in one transaction: now, every row but those marked `later` (and those items'
        cases, which are written now); and later, those items (which name rows that must be there first: the chunk
        before's). Every case is written in the first, so the keys each write names run unbroken (the database
        checks a whole range of keys at once, ADR 0016). The keys were taken together, in the file's order."""
        assert self.statements[0].startswith(f'INSERT INTO "{Case._meta.db_table}"')
        after = [(*row[:-1], False) for row in self.rows if row[-1]]
        return self, replace(self, rows=after, statements=self.statements[1:])


def stage(*, la, channel: str, items: list, actor, received_at, batch, porth, rates: RateTable | None,
          later: set[int] = frozenset()) -> Staged:
    """Everything `write` needs for `items` (scrutinised: each has its status), worked out in Python: takes each
    item's ids from the sequences (sets its referral_id, case_id and debt_id) and builds its staged row. Needs
    no transaction (a chunk of a bulk file is staged while the one before it is written). `later`: the items (by
    id()) to be written after the rest (`Staged.split`)."""
    notice_ids = _take_ids(items)
    site = services.owning_site(la) if any(i.debt_id for i in items) else None
    rows = _stage_rows(items, notice_ids, la=la, channel=channel, received_at=received_at, porth=porth,
                       site=site, rates=rates or RateTable(), later=later)
    params: dict[str, Any] = {
        "la": la.pk, "porth": porth.pk, "when": received_at, "channel": channel, "actor": getattr(actor, "pk", None),
        "actor_org": getattr(actor, "organisation_id", None) or la.pk, "batch": getattr(batch, "pk", None),
        "site": getattr(site, "pk", None), "to": la.intake_email,
        "batch_data": json.dumps({"batch_id": batch.pk} if batch else {}),
        "received": events.RECEIVED.code, "validated": events.VALIDATED.code, "issued": NOTICE_ISSUED.code,
        "validated_summary": services.VALIDATED_SUMMARY,
        "non_quality": Status.RETURNED_NON_QUALITY.value, "queued": Status.QUEUED.value,
    }
    return Staged(rows=rows, statements=_statements(params, with_outbox=bool(la.intake_email)), params=params,
                  deliver=bool(notice_ids) and bool(la.intake_email))


def write(staged: Staged) -> None:
    """Record a staged chunk, inside the caller's transaction."""
    if not staged.rows:
        return
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(_CREATE)
        cursor.execute(f"TRUNCATE {STAGE}")  # a chunk's rows only, even if the caller's transaction is long
        with copy_in(cursor, STAGE, [name for name, _ in _COLUMNS], _TYPES) as put:
            for row in staged.rows:
                put(row)
        for sql in staged.statements:
            cursor.execute(sql, staged.params)
    if staged.deliver:
        schedule_delivery()


def _take_ids(items: list) -> dict[int, int]:
    """Give each item its case, referral and (if loaded) debt id from the tables' sequences; returns the notice
    id of each item that gets a notice, by the item's id()."""
    n = len(items)
    for item, case_id, referral_id in zip(items, take_ids(Case, n), take_ids(Referral, n), strict=True):
        item.case_id, item.referral_id = case_id, referral_id
    # Debts: an overpayment's before its Civil Penalty's, as `_open_debts` opens them.
    loaded = sorted((i for i in items if i.status == Status.LOADED), key=lambda i: i.clean.is_civil_penalty)
    for item, debt_id in zip(loaded, take_ids(Debt, len(loaded)), strict=True):
        item.debt_id = debt_id
    noticed = [i for i in items if services.NOTICE_FOR_OUTCOME.get(i.status)]
    return dict(zip(map(id, noticed), take_ids(Notice, len(noticed)), strict=True))


def _stage_rows(items: list, notice_ids: dict[int, int], *, la, channel: str, received_at, porth, site,
                rates: RateTable, later: set[int]) -> list[tuple]:
    """One staging row per item, in _COLUMNS' order: every value with a rule worked out by the same functions
    as the instance path."""
    loaded_on = timezone.localdate(received_at)
    notice_days = _notice_days()
    date = services._letter_date(received_at)
    dumps = json.dumps
    rows = []
    for ord_, item in enumerate(items):
        c = item.clean
        faults = [f.as_dict() for f in c.faults]
        terms = overpayment_debt_id = penalty_overpayment_id = None
        link = item.penalty_overpayment
        if link:
            penalty_overpayment_id = link[1] if link[0] == "db" else link[1].referral_id
        if item.debt_id is not None:
            terms = recovery_terms(classification=c.classification, balance_pence=c.outstanding_balance_pence,
                                   loaded_on=loaded_on, rates=rates, notice_days=notice_days)
            if c.is_civil_penalty and link:
                overpayment_debt_id = link[2] if link[0] == "db" else link[1].debt_id
        code = services.NOTICE_FOR_OUTCOME.get(item.status)
        context = None
        if code:
            context = services.letter_context(
                status=item.status, detail=item.detail, award_benefit=item.award_benefit,
                sent_name=item.data.get("customer_name"), customer_name=c.customer_name, nino=c.nino,
                la_reference=c.la_reference, case_id=item.case_id, benefit_type=c.benefit_type,
                is_civil_penalty=c.is_civil_penalty, balance_pence=c.outstanding_balance_pence,
                classification=c.classification, faults=faults,
                debt=(terms.start_date, terms.weekly_rate_pence) if terms else None, site=site, la=la, porth=porth,
                date=date)
        rows.append((
            ord_, item.case_id, item.referral_id, item.debt_id, notice_ids.get(id(item)), item.row, item.status,
            item.queue_reason, dumps(faults) if faults else "[]",
            dumps(services._submitted_copy(item.data)) if faults else "{}", c.referral_date, c.cis_checked_on,
            c.customer_name, c.address_line_1, c.address_line_2, c.address_line_3, c.address_line_4, c.postcode,
            c.nino, c.date_of_birth, c.la_reference, c.la_code, c.cause, c.classification, c.reason_code or None,
            c.reason_other, c.period_from, c.period_to, c.amount_recovered_pence, c.outstanding_balance_pence,
            c.benefit_type, c.is_civil_penalty, c.penalty_overpayment_reference, penalty_overpayment_id,
            terms.weekly_rate_pence if terms else None, terms.start_date if terms else None, overpayment_debt_id,
            services.received_summary(c.la_reference, channel),
            services.OUTCOME_EVENT[item.status].code,
            services.outcome_summary(item.status, item.detail, (c.outstanding_balance_pence, terms.start_date,
                                                         terms.weekly_rate_pence) if terms else None)[:500],
            code, dumps(context) if code else None,
            email_subject(code, context["la_reference"]) if code else None,
            issued_summary(code) if code else None, id(item) in later,
        ))
    return rows


def _statements(params: dict[str, Any], *, with_outbox: bool) -> list[str]:
    """The INSERT ... SELECT of each table from the staging table (`params` completed with the defaults)."""
    statements = [
        insert_select(Case, {"id": "s.case_id", "la_id": "%(la)s", "opened_at": "%(when)s"},
                      source=f"{STAGE} s ORDER BY s.ord", params=params),
        insert_select(Debt, {
            "id": "s.debt_id", "case_id": "s.case_id", "la_id": "%(la)s", "owning_site_id": "%(site)s",
            "nino": "s.nino", "debtor_name": "s.customer_name", "la_reference": "s.la_reference",
            "benefit_type": "s.benefit_type", "is_civil_penalty": "s.is_civil_penalty",
            "overpayment_id": "s.overpayment_debt_id", "classification": "s.classification",
            "original_balance_pence": "s.outstanding_balance_pence", "weekly_rate_pence": "s.weekly_rate_pence",
            "recovery_start_date": "s.recovery_start_date", "loaded_at": "%(when)s",
        }, source=f"{STAGE} s WHERE s.debt_id IS NOT NULL AND NOT s.later ORDER BY s.debt_id", params=params),
        insert_select(Referral, {
            "id": "s.referral_id", "case_id": "s.case_id", "la_id": "%(la)s", "channel": "%(channel)s",
            "submitted_by_id": "%(actor)s", "import_batch_id": "%(batch)s", "source_row": "s.source_row",
            "received_at": "%(when)s", "status": "s.status", "queue_reason": "s.queue_reason",
            "decided_at": "CASE WHEN s.status = %(queued)s THEN NULL ELSE %(when)s END",
            "faults": "s.faults", "submitted": "s.submitted", "referral_date": "s.referral_date",
            "cis_checked_on": "s.cis_checked_on", "customer_name": "s.customer_name",
            "address_line_1": "s.address_line_1", "address_line_2": "s.address_line_2",
            "address_line_3": "s.address_line_3", "address_line_4": "s.address_line_4", "postcode": "s.postcode",
            "nino": "s.nino", "date_of_birth": "s.date_of_birth", "la_reference": "s.la_reference",
            "la_code": "s.la_code", "cause": "s.cause", "classification": "s.classification",
            "reason_id": "s.reason_id", "reason_other": "s.reason_other", "period_from": "s.period_from",
            "period_to": "s.period_to", "amount_recovered_pence": "s.amount_recovered_pence",
            "outstanding_balance_pence": "s.outstanding_balance_pence", "benefit_type": "s.benefit_type",
            "is_civil_penalty": "s.is_civil_penalty",
            "penalty_overpayment_reference": "s.penalty_overpayment_reference",
            "penalty_overpayment_id": "s.penalty_overpayment_id", "debt_id": "s.debt_id",
        }, source=f"{STAGE} s WHERE NOT s.later ORDER BY s.ord", params=params),
        # The timeline: received, checked (unless it was not), and the outcome, case by case in that order.
        insert_select(Event, {
            "case_id": "s.case_id", "la_id": "%(la)s", "kind": "e.kind", "occurred_at": "%(when)s",
            "actor_id": "e.actor_id", "actor_organisation_id": "e.actor_org", "summary": "e.summary",
            "data": "e.data",
        }, source=f"""{STAGE} s CROSS JOIN LATERAL (VALUES
            (1, %(received)s, s.received_summary,
             jsonb_build_object('referral_id', s.referral_id, 'channel', %(channel)s)
             || CASE WHEN s.source_row <> 0 THEN jsonb_build_object('row', s.source_row) ELSE '{{}}' END
             || %(batch_data)s::jsonb, %(actor)s::bigint, %(actor_org)s::bigint),
            (2, CASE WHEN s.status <> %(non_quality)s THEN %(validated)s END, %(validated_summary)s,
             '{{}}'::jsonb, NULL, %(porth)s::bigint),
            (3, s.outcome_kind, s.outcome_summary,
             jsonb_build_object('referral_id', s.referral_id, 'status', s.status)
             || CASE WHEN s.status = %(non_quality)s THEN jsonb_build_object('faults', s.faults) ELSE '{{}}' END
             || CASE WHEN s.queue_reason <> '' THEN jsonb_build_object('queue_reason', s.queue_reason)
                     ELSE '{{}}' END
             || CASE WHEN s.debt_id IS NOT NULL THEN jsonb_build_object(
                    'debt_id', s.debt_id, 'recovery_start_date', to_char(s.recovery_start_date, 'YYYY-MM-DD'),
                    'weekly_rate_pence', s.weekly_rate_pence, 'balance_pence', s.outstanding_balance_pence)
                     ELSE '{{}}' END,
             NULL, %(porth)s::bigint)
        ) AS e(n, kind, summary, data, actor_id, actor_org)
        WHERE e.kind IS NOT NULL AND NOT s.later ORDER BY s.ord, e.n""", params=params),
        insert_select(Notice, {
            "id": "s.notice_id", "code": "s.notice_code", "case_id": "s.case_id", "la_id": "%(la)s",
            "issued_at": "%(when)s", "issued_by_id": "%(porth)s", "context": "s.notice_context",
        }, source=f"{STAGE} s WHERE s.notice_id IS NOT NULL AND NOT s.later ORDER BY s.ord", params=params),
    ]
    if with_outbox:
        statements.append(insert_select(OutboxMessage, {
            "notice_id": "s.notice_id", "to": "%(to)s", "next_attempt_at": "%(when)s", "subject": "s.outbox_subject",
        }, source=f"{STAGE} s WHERE s.notice_id IS NOT NULL AND NOT s.later ORDER BY s.ord", params=params))
    statements.append(insert_select(Event, {
        "case_id": "s.case_id", "la_id": "%(la)s", "kind": "%(issued)s", "occurred_at": "%(when)s",
        "actor_id": "NULL", "actor_organisation_id": "%(porth)s", "summary": "s.notice_summary",
        "data": "jsonb_build_object('notice_id', s.notice_id, 'code', s.notice_code)",
    }, source=f"{STAGE} s WHERE s.notice_id IS NOT NULL AND NOT s.later ORDER BY s.ord", params=params))

    return statements
