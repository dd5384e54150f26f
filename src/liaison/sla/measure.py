"""Measuring the standards from the timeline, set-based: `measurements_refresh`.

For each standard one INSERT … SELECT pairs the events that start its clock with those that stop it, takes the
London date of each (a time is converted to Europe/London before its date is taken: an event at 00:30 on the
morning the clocks go back is on that day, not the day before), and looks up the working days in the calendar
table (`ordinal` counts working days, so a duration is a subtraction and a due date an equality join). The
limit is the strictest national provision in force on the day the clock started, or the LA's local target when
that is stricter.

The same SQL runs on PostgreSQL and SQLite; the few places they differ (a London date, a JSON value, a month's
last day) are one small function each below.

Refreshing is idempotent: the measurements of the cases (and, for LA-and-month standards, the LAs) in scope are
deleted and computed again from the timeline in one transaction. Scope:
  - full: everything (the first run; a past `as_of`, which recomputes the table as things stood then; a change
    to a standard or the calendar);
  - incremental (the default): the cases with events after the last run's watermark (less a margin, for
    transactions still open when that run read it) or that happened between the last run's cut-off and this
    one's;
  - one LA (after a local target of that LA is recorded or ended).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from liaison.partners.models import Organisation
from liaison.sla.models import Measurement, RefreshRun, Standard
from liaison.sla.reference import dm_calendar_nation, ensure_working_days

LONDON = ZoneInfo("Europe/London")
# An incremental refresh reads again this many event ids below the last watermark: a transaction that had taken
# its ids but not committed when the last run read the timeline is seen now. The nightly run reads the whole of
# the last day again (`since` = the watermark of the last run at least a day old). A bulk referral file written
# behind can hold back about four events a row of one chunk (ADR 0016): tests/sla/test_measure.py keeps the
# margin above that.
WATERMARK_MARGIN = 10_000

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def cutoff_for(as_of: dt.date) -> dt.datetime:
    """The first instant after `as_of` in London: events before it happened on or before `as_of`."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)


# --- The dialect: one function each for what PostgreSQL and SQLite spell differently --------------------------

class Dialect:
    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def local_date(self, expr: str) -> str:
        if self.pg:
            return f"(({expr}) AT TIME ZONE 'Europe/London')::date"
        # Django registers this function on every SQLite connection; it converts from UTC (as stored) first.
        return f"django_datetime_cast_date({expr}, 'Europe/London', 'UTC')"

    def json_text(self, column: str, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError(f"not a data key: {key!r}")
        return f"({column} ->> '{key}')" if self.pg else f"json_extract({column}, '$.{key}')"

    def iso_date(self, text: str) -> str:
        """A YYYY-MM-DD text as a date, or NULL when it is not one (never an error: the timeline is not ours)."""
        if self.pg:
            return (f"(CASE WHEN {text} ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' "
                    f"THEN (substr({text}, 1, 8) || '01')::date + (substr({text}, 9, 2)::int - 1) END)")
        return (f"(CASE WHEN {text} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*' "
                f"THEN date(substr({text}, 1, 8) || '01', '+' || (CAST(substr({text}, 9, 2) AS INTEGER) - 1) "
                f"|| ' days') END)")

    def month_start(self, date: str) -> str:
        return f"date_trunc('month', ({date})::timestamp)::date" if self.pg else f"date({date}, 'start of month')"

    def first(self, partition: str, order: str, columns: list[tuple[str, str]], source: str) -> str:
        """SELECT `columns` (expression, name) of the first row of each `partition` (by `order`) of `source`."""
        select = ", ".join(f"{expr} AS {name}" for expr, name in columns)
        if self.pg:
            return f"SELECT DISTINCT ON ({partition}) {select} {source} ORDER BY {partition}, {order}"
        names = ", ".join(name for _, name in columns)
        return (f"SELECT {names} FROM (SELECT {select}, ROW_NUMBER() OVER (PARTITION BY {partition} "
                f"ORDER BY {order}) AS rn_ {source}) WHERE rn_ = 1")

    @property
    def materialized(self) -> str:
        """Compute a CTE once (PostgreSQL would otherwise inline it into each place it is used)."""
        return "MATERIALIZED " if self.pg else ""

    def month_end(self, date: str, *, months_on: int = 0) -> str:
        if self.pg:
            return (f"(date_trunc('month', ({date})::timestamp) + interval '{months_on + 1} month' "
                    f"- interval '1 day')::date")
        return f"date({date}, 'start of month', '+{months_on + 1} months', '-1 day')"


# --- The SQL of one standard ------------------------------------------------------------------------------------

@dataclass
class _Scope:
    kind: str  # "full", "cases" or "la"
    la_id: int | None = None

    def join(self, standard: Standard, alias: str = "e") -> str:
        """The start events' scope as a join (the small scope table drives an index scan of the timeline)."""
        if self.kind not in ("cases",):
            return ""
        if standard.subject == Standard.Subject.LA_MONTH:
            return f"JOIN sla_scope_la sl ON sl.la_id = {alias}.la_id"
        return f"JOIN sla_scope_case sc ON sc.case_id = {alias}.case_id"

    def events(self, standard: Standard, alias: str = "e") -> str:
        if self.kind == "full":
            return ""
        if self.kind == "la":
            return f"AND {alias}.la_id = %(scope_la)s"
        if standard.subject == Standard.Subject.LA_MONTH:
            return f"AND {alias}.la_id IN (SELECT la_id FROM sla_scope_la)"
        return f"AND {alias}.case_id IN (SELECT case_id FROM sla_scope_case)"

    def measurements(self, standard: Standard) -> str:
        if self.kind == "full":
            return ""
        if self.kind == "la":
            return "AND la_id = %(scope_la)s"
        if standard.subject == Standard.Subject.LA_MONTH:
            return "AND la_id IN (SELECT la_id FROM sla_scope_la)"
        return "AND case_id IN (SELECT case_id FROM sla_scope_case)"


class _Params:
    """Named parameters, so that no value from a standard's data is ever spliced into the SQL."""

    def __init__(self, **initial) -> None:
        self.values = dict(initial)

    def add(self, value) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s"

    def in_list(self, values) -> str:
        values = list(values)
        if not values:
            return "(NULL)"
        return "(" + ", ".join(self.add(v) for v in values) + ")"


def _stop_filter(d: Dialect, standard: Standard, params: _Params, alias: str) -> str:
    """Stop events whose data match the standard's filter ({kind: {key: [values]}})."""
    clauses = []
    for kind, conditions in (standard.stop_filter or {}).items():
        tests = " AND ".join(f"{d.json_text(alias + '.data', key)} IN {params.in_list(values)}"
                             for key, values in conditions.items())
        if tests:
            clauses.append(f"({alias}.kind <> {params.add(kind)} OR ({tests}))")
    return (" AND " + " AND ".join(clauses)) if clauses else ""


def _pairs_sql(d: Dialect, standard: Standard, scope: _Scope, params: _Params) -> str:
    """A relation `y` with one row per item: the start and stop events and what is needed from them.

    "The first event of a group" is `Dialect.first` (DISTINCT ON on PostgreSQL, whose planner estimates its size
    from the column statistics; ROW_NUMBER elsewhere); the n-th stop answering the n-th start is ROW_NUMBER.
    """
    starts = params.in_list(standard.start_kinds)
    stops = params.in_list(standard.stop_kinds)
    start_date = d.json_text("e.data", standard.start_date_key) if standard.start_date_key else "CAST(NULL AS text)"
    stop_date = (d.json_text("e.data", standard.stop_date_key) if standard.stop_date_key
                 else "CAST(NULL AS text)")
    stop_filter = _stop_filter(d, standard, params, "e")
    join = scope.join(standard)
    in_scope = "" if join else scope.events(standard)
    m = d.materialized

    if standard.subject == Standard.Subject.LA_MONTH:
        month = d.json_text("e.data", standard.match_key or "month")
        s = d.first("e.la_id, " + month, "e.occurred_at, e.id",
                    [("e.id", "id"), ("e.la_id", "la_id"), ("e.occurred_at", "occurred_at"),
                     ("e.actor_organisation_id", "org_id"), (month, "mk")],
                    f"FROM core_event e {join} WHERE e.case_id IS NULL AND e.la_id IS NOT NULL AND e.kind IN {starts} "
                    f"AND e.occurred_at < %(cutoff)s {in_scope} AND {d.iso_date(month)} IS NOT NULL")
        p = d.first("e.la_id, " + month, "e.occurred_at, e.id",
                    [("e.id", "id"), ("e.la_id", "la_id"), ("e.occurred_at", "occurred_at"), ("e.kind", "kind"),
                     ("e.actor_organisation_id", "org_id"), (month, "mk"), (stop_date, "stop_date_text")],
                    f"FROM core_event e {join} WHERE e.case_id IS NULL AND e.la_id IS NOT NULL AND e.kind IN {stops} "
                    f"AND e.occurred_at < %(cutoff)s {in_scope} {stop_filter}")
        return f"""
        s AS {m}({s}),
        p AS {m}({p}),
        y AS (
            SELECT s.id AS start_id, p.id AS stop_id, CAST(NULL AS bigint) AS case_id, s.la_id, s.org_id AS start_org,
                   p.org_id AS stop_org, s.occurred_at AS started_at, p.occurred_at AS stopped_at, p.kind AS stop_kind,
                   {d.month_end(d.iso_date('s.mk'))} AS start_on_given, p.stop_date_text, s.mk
            FROM s LEFT JOIN p ON p.la_id = s.la_id AND p.mk = s.mk
        )"""

    pair = d.json_text("e.data", standard.pair_key) if standard.pair_key else "CAST(NULL AS text)"
    start_columns = [("e.id", "id"), ("e.case_id", "case_id"), ("e.la_id", "la_id"), ("e.kind", "kind"),
                     ("e.occurred_at", "occurred_at"), ("e.actor_organisation_id", "org_id"),
                     (start_date, "start_date_text"), (pair, "pk")]
    start_source = (f"FROM core_event e {join} WHERE e.case_id IS NOT NULL AND e.la_id IS NOT NULL "
                    f"AND e.kind IN {starts} AND e.occurred_at < %(cutoff)s {in_scope}")

    if standard.subject == Standard.Subject.CASE_ONCE:
        # The first start on the case; where it is anchored (REF-OUTCOME: a returned referral's clock runs from
        # its receipt), from the first event of the anchor kind instead. Then the first stop at or after it.
        s = d.first("e.case_id", "e.occurred_at, e.id", start_columns, start_source)
        if standard.start_anchor:
            anchored = params.in_list(standard.start_anchor)
            anchors = params.in_list(sorted(set(standard.start_anchor.values())))
            which = " ".join(f"WHEN {params.add(k)} THEN {params.add(v)}" for k, v in standard.start_anchor.items())
            ctes = f"""
        s AS {m}({s}),
        a AS (
            SELECT e.case_id, e.kind, MIN(e.occurred_at) AS at
            FROM s JOIN core_event e ON e.case_id = s.case_id
            WHERE s.kind IN {anchored} AND e.kind IN {anchors} AND e.occurred_at < %(cutoff)s
            GROUP BY e.case_id, e.kind
        ),
        s2 AS {m}(
            SELECT s.id, s.case_id, s.la_id, s.org_id, s.start_date_text, COALESCE(a.at, s.occurred_at) AS started_at
            FROM s LEFT JOIN a ON a.case_id = s.case_id AND a.kind = (CASE s.kind {which} END)
        )"""
        else:
            ctes = f"""
        s2 AS {m}(SELECT id, case_id, la_id, org_id, start_date_text, occurred_at AS started_at FROM ({s}) s)"""
        p = d.first("s2.id", "e.occurred_at, e.id",
                    [("s2.id", "start_id"), ("e.id", "id"), ("e.occurred_at", "occurred_at"), ("e.kind", "kind"),
                     ("e.actor_organisation_id", "org_id"), (stop_date, "stop_date_text")],
                    f"FROM s2 JOIN core_event e ON e.case_id = s2.case_id WHERE e.kind IN {stops} "
                    f"AND e.occurred_at >= s2.started_at AND e.occurred_at < %(cutoff)s {stop_filter}")
        return ctes + f""",
        p AS {m}({p}),
        y AS (
            SELECT s2.id AS start_id, p.id AS stop_id, s2.case_id, s2.la_id, s2.org_id AS start_org,
                   p.org_id AS stop_org, s2.started_at, p.occurred_at AS stopped_at, p.kind AS stop_kind,
                   {d.iso_date('s2.start_date_text')} AS start_on_given, p.stop_date_text, CAST(NULL AS text) AS mk
            FROM s2 LEFT JOIN p ON p.start_id = s2.id
        )"""

    columns = ", ".join(f"{expr} AS {alias}" for expr, alias in start_columns)
    if standard.stop_is_start:
        return f"""
        s AS (SELECT {columns} {start_source}),
        y AS (
            SELECT s.id AS start_id, s.id AS stop_id, s.case_id, s.la_id, s.org_id AS start_org, s.org_id AS stop_org,
                   s.occurred_at AS started_at, s.occurred_at AS stopped_at, s.kind AS stop_kind,
                   {d.iso_date('s.start_date_text')} AS start_on_given, CAST(NULL AS text) AS stop_date_text,
                   CAST(NULL AS text) AS mk
            FROM s
        )"""

    # EACH_EVENT: with a pair key, the first stop carrying the start's key answers it; without one, the n-th stop
    # on the case (from its first start on) answers its n-th start.
    stop_columns = [("e.id", "id"), ("e.case_id", "case_id"), ("e.kind", "kind"), ("e.occurred_at", "occurred_at"),
                    ("e.actor_organisation_id", "org_id"), (stop_date, "stop_date_text"), (pair, "pk")]
    stop_source = (f"FROM core_event e JOIN f ON f.case_id = e.case_id WHERE e.kind IN {stops} "
                   f"AND e.occurred_at >= f.first_at AND e.occurred_at < %(cutoff)s {stop_filter}")
    if standard.pair_key:
        p = d.first(f"e.case_id, {pair}", "e.occurred_at, e.id", stop_columns, stop_source)
        match, s_rn = "p.pk = s.pk", ""
    else:
        stop_list = ", ".join(f"{expr} AS {alias}" for expr, alias in stop_columns)
        p = (f"SELECT {stop_list}, ROW_NUMBER() OVER (PARTITION BY e.case_id ORDER BY e.occurred_at, e.id) AS rn "
             f"{stop_source}")
        match, s_rn = "p.rn = s.rn", ", ROW_NUMBER() OVER (PARTITION BY e.case_id ORDER BY e.occurred_at, e.id) AS rn"
    return f"""
        s AS {m}(SELECT {columns}{s_rn} {start_source}),
        f AS (SELECT case_id, MIN(occurred_at) AS first_at FROM s GROUP BY case_id),
        p AS {m}({p}),
        y AS (
            SELECT s.id AS start_id, p.id AS stop_id, s.case_id, s.la_id, s.org_id AS start_org, p.org_id AS stop_org,
                   s.occurred_at AS started_at, p.occurred_at AS stopped_at, p.kind AS stop_kind,
                   {d.iso_date('s.start_date_text')} AS start_on_given, p.stop_date_text, CAST(NULL AS text) AS mk
            FROM s LEFT JOIN p ON p.case_id = s.case_id AND {match} AND p.occurred_at >= s.occurred_at
        )"""


def _insert_sql(d: Dialect, standard: Standard, scope: _Scope, params: _Params, units: dict[str, int]) -> str:
    pairs = _pairs_sql(d, standard, scope, params)
    std = params.add(standard.pk)
    calendar = "la.nation" if standard.calendar == Standard.Calendar.LA else params.add(units["dm_calendar"])
    start_on = f"COALESCE(y.start_on_given, {d.local_date('y.started_at')})"
    stop_on = (f"CASE WHEN y.stop_id IS NULL THEN NULL "
               f"ELSE COALESCE({d.iso_date('y.stop_date_text')}, {d.local_date('y.stopped_at')}) END")
    if standard.subject == Standard.Subject.LA_MONTH:
        month = d.month_start(d.iso_date("z.mk"))
    else:
        month = d.month_start("z.start_on")
    national = _national_limit(standard, params, "z.start_on")
    if standard.takes_local_targets:
        # At most one local target of an LA is in force on a day (local_target_record refuses overlaps).
        local = "t.\"limit\""
        local_join = (f"LEFT JOIN sla_localtarget t ON t.standard_id = {std} AND t.la_id = z.la_id "
                      f"AND t.effective_from <= z.start_on "
                      f"AND (t.effective_to IS NULL OR t.effective_to >= z.start_on)")
    else:
        local, local_join = "CAST(NULL AS integer)", ""
    stricter = ">" if standard.unit == Standard.Unit.SHARE else "<"
    uses_local = f"(x.loc IS NOT NULL AND (x.nat IS NULL OR x.loc {stricter} x.nat))"
    limit = f"(CASE WHEN {uses_local} THEN x.loc ELSE x.nat END)"
    if standard.unit == Standard.Unit.WORKING_DAYS:
        due = "wd.day"
        due_join = (f"LEFT JOIN sla_workingday wd ON wd.nation = x.cal AND wd.is_working = TRUE "
                    f"AND wd.ordinal = ws.ordinal + {limit}")
    elif standard.unit == Standard.Unit.END_OF_NEXT_MONTH:
        due = d.month_end("x.month", months_on=1)
        due_join = ""
    else:
        due, due_join = "NULL", ""
    if standard.unit == Standard.Unit.SHARE:
        working = "NULL"
        failed = f"(x.stop_kind IS NOT NULL AND x.stop_kind IN {params.in_list(standard.fail_kinds)})"
    else:
        working = "(CASE WHEN wp.ordinal IS NULL OR ws.ordinal IS NULL THEN NULL WHEN wp.ordinal > ws.ordinal " \
                  "THEN wp.ordinal - ws.ordinal ELSE 0 END)"
        failed = "FALSE"
    responsible = standard.responsible
    if responsible == Standard.Responsible.CCG_SITE:
        site = ("COALESCE(CASE WHEN so.unit = 'CCG_SITE' THEN so.id END, CASE WHEN sa.unit = 'CCG_SITE' THEN sa.id END, "
                f"x.la_site, {params.add(units['default_site'])})")
        site_joins = ("LEFT JOIN partners_organisation so ON so.id = x.stop_org "
                      "LEFT JOIN partners_organisation sa ON sa.id = x.start_org")
    elif responsible == Standard.Responsible.LA:
        site, site_joins = "NULL", ""
    else:
        site, site_joins = params.add(units[responsible]), ""
    return f"""
    INSERT INTO sla_measurement (standard_id, start_event_id, stop_event_id, case_id, la_id, site_id, calendar,
                                 "month", started_at, start_on, stopped_at, stop_on, "limit", local_target, due_on,
                                 working_days, failed)
    WITH {pairs},
    z AS (
        SELECT y.start_id, y.stop_id, y.case_id, y.la_id, y.start_org, y.stop_org, y.started_at, y.stopped_at,
               y.stop_kind, y.mk, {calendar} AS cal, la.ccg_site_id AS la_site,
               {start_on} AS start_on, {stop_on} AS stop_on
        FROM y JOIN partners_organisation la ON la.id = y.la_id
    ),
    x AS (
        SELECT z.*, {month} AS month, {national} AS nat, {local} AS loc FROM z {local_join}
    )
    SELECT {std}, x.start_id, x.stop_id, x.case_id, x.la_id, {site}, x.cal, x.month, x.started_at, x.start_on,
           x.stopped_at, x.stop_on, {limit}, {uses_local}, {due}, {working}, {failed}
    FROM x
    LEFT JOIN sla_workingday ws ON ws.nation = x.cal AND ws.day = x.start_on
    LEFT JOIN sla_workingday wp ON wp.nation = x.cal AND wp.day = x.stop_on
    {due_join}
    {site_joins}
    """


def _national_limit(standard: Standard, params: _Params, day: str) -> str:
    """The strictest national provision in force on `day`, as a CASE over the provisions' date ranges (a handful
    of rows: cheaper than a subquery per item)."""
    provisions = [(p.effective_from, p.effective_to, p.limit) for p in standard.provisions.all()
                  if p.limit is not None]
    if not provisions:
        return "CAST(NULL AS integer)"
    share = standard.unit == Standard.Unit.SHARE
    bounds = sorted({p[0] for p in provisions} | {p[1] + dt.timedelta(days=1) for p in provisions if p[1]})
    whens = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        in_force = [lim for f, t, lim in provisions if f <= start and (t is None or t >= start)]
        if not in_force:
            continue
        strictest = max(in_force) if share else min(in_force)
        test = f"{day} >= {params.add(start)}" + (f" AND {day} < {params.add(end)}" if end else "")
        whens.append(f"WHEN {test} THEN {params.add(strictest)}")
    return f"(CASE {' '.join(whens)} END)" if whens else "CAST(NULL AS integer)"


# --- Refreshing ---------------------------------------------------------------------------------------------

def _units() -> dict:
    by_unit = dict(Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT).values_list("unit", "id"))
    dearne = Organisation.objects.filter(code="DM-CCG-DEARNE").values_list("id", flat=True).first()
    return {"CC_PORTH": by_unit.get(Organisation.Unit.CC_PORTH), "FCG": by_unit.get(Organisation.Unit.FCG),
            # A case with no CCG site named (no notice of recovery held) belongs to Dearne Valley (SLA Appendix 8).
            "default_site": dearne or by_unit.get(Organisation.Unit.CCG_SITE),
            "dm_calendar": dm_calendar_nation()}


def _fill_scope(cursor, d: Dialect, *, since: int, old_cutoff: dt.datetime, cutoff: dt.datetime,
                kinds: list[str]) -> tuple[int, int]:
    """The cases and LAs whose measurements may have changed since the last refresh."""
    for table, column in (("sla_scope_case", "case_id"), ("sla_scope_la", "la_id")):
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({column} bigint PRIMARY KEY)")
        cursor.execute(f"DELETE FROM {table}")
    params = _Params(since=since, old_cutoff=old_cutoff, cutoff=cutoff)
    kind_list = params.in_list(kinds)
    cursor.execute(f"""
        INSERT INTO sla_scope_case (case_id)
        SELECT case_id FROM core_event WHERE id > %(since)s AND case_id IS NOT NULL
        UNION
        SELECT case_id FROM core_event
        WHERE kind IN {kind_list} AND occurred_at >= %(old_cutoff)s AND occurred_at < %(cutoff)s
          AND case_id IS NOT NULL""", params.values)
    cases = cursor.rowcount
    if d.pg:
        cursor.execute("ANALYZE sla_scope_case")  # a temporary table has no statistics until it is analysed
    cursor.execute(f"""
        INSERT INTO sla_scope_la (la_id)
        SELECT la_id FROM core_event WHERE id > %(since)s AND case_id IS NULL AND la_id IS NOT NULL
        UNION
        SELECT la_id FROM core_event
        WHERE kind IN {kind_list} AND occurred_at >= %(old_cutoff)s AND occurred_at < %(cutoff)s
          AND case_id IS NULL AND la_id IS NOT NULL""", params.values)
    las = cursor.rowcount
    if d.pg:
        cursor.execute("ANALYZE sla_scope_la")
    return cases, las


def _drop_indexes(cursor, table: str) -> list[str]:
    """PostgreSQL: drop a table's unique constraints and indexes (not its primary key); return the statements
    that make them again."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype = 'u'", [table])
    constraints = cursor.fetchall()
    cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                   "AND i.tablename = %s AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype IN ('p', 'u'))", [table, table])
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return ([definition for _, definition in indexes]
            + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints])


def _lock(cursor, d: Dialect) -> None:
    """One refresh at a time (PostgreSQL: an advisory lock for the transaction; SQLite serialises writers)."""
    if d.pg:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('liaison.sla.measurements_refresh'))")


def measurements_refresh(*, as_of: dt.date, since: int | None = None, full: bool = False, la_id: int | None = None,
                         standards: list[str] | None = None, now: dt.datetime | None = None) -> RefreshRun | dict:
    """Compute the measurements from the timeline as it stood at the end of `as_of` (London).

    - `full`: recompute everything; also chosen when there has been no refresh yet, or `as_of` is earlier than
      the last refresh's (the table then shows things as they stood on that day);
    - `since`: an event id: recompute the cases with events after it (default: the last run's watermark less a
      margin);
    - `la_id`: recompute one LA only (a local target changed); the watermark is left alone, and a dict of counts
      is returned instead of a run.
    Idempotent: running it twice changes nothing the second time.
    """
    now = now or timezone.now()
    d = Dialect(connection.vendor)
    cutoff = cutoff_for(as_of)
    ensure_working_days()
    chosen = list(Standard.objects.filter(active=True).order_by("position"))
    if standards:
        chosen = [s for s in chosen if s.code in standards]
    units = _units()
    counts: dict[str, int] = {}
    timings: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, d)
        if d.pg:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
        if la_id is not None:
            scope = _Scope("la", la_id)
            for standard in chosen:
                counts[standard.code] = _refresh_standard(cursor, d, standard, scope, units, cutoff, la_id=la_id)
            cursor.execute("DROP TABLE IF EXISTS sla_delta")
            return counts
        last = RefreshRun.objects.filter(finished_at__isnull=False).first()
        cursor.execute("SELECT MAX(id) FROM core_event")
        max_id = cursor.fetchone()[0] or 0
        full = full or last is None or as_of < last.as_of
        rebuild: list[str] = []
        if full:
            scope = _Scope("full")
            since_id = None
            if d.pg:
                # Everything is read: hash joins over whole kinds of event beat an index probe per case (the
                # planner cannot tell, as it underestimates "the first event of a case").
                cursor.execute("SET LOCAL enable_nestloop = off")
                if not standards:
                    # No dead rows to vacuum afterwards, and the indexes built once at the end (sorted) instead of
                    # maintained row by row; readers wait for this transaction (it is rare: the first run, a past
                    # as_of, a changed standard or calendar).
                    cursor.execute("TRUNCATE sla_measurement, sla_summary")
                    rebuild = _drop_indexes(cursor, "sla_measurement")
        else:
            since_id = since if since is not None else max(last.max_event_id - WATERMARK_MARGIN, 0)
            kinds = sorted(set().union(*(s.all_kinds() for s in chosen))) if chosen else []
            scoped_cases, scoped_las = _fill_scope(cursor, d, since=since_id, old_cutoff=min(last.cutoff, cutoff),
                                                   cutoff=cutoff, kinds=kinds)
            counts["scope_cases"], counts["scope_las"] = scoped_cases, scoped_las
            scope = _Scope("cases")
        run = RefreshRun.objects.create(started_at=now, as_of=as_of, cutoff=cutoff, max_event_id=max_id,
                                        since_event_id=since_id, full=full)
        for standard in chosen:
            started = time.perf_counter()
            counts[standard.code] = _refresh_standard(cursor, d, standard, scope, units, cutoff)
            timings[standard.code] = round(time.perf_counter() - started, 3)
        if rebuild:
            started = time.perf_counter()
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for statement in rebuild:
                cursor.execute(statement)
            timings["indexes"] = round(time.perf_counter() - started, 3)
        if not full:
            for table in ("sla_scope_case", "sla_scope_la", "sla_delta"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if d.pg and (full or sum(v for k, v in counts.items() if not k.startswith("scope_")) > 100_000):
            cursor.execute("ANALYZE sla_measurement")
            cursor.execute("ANALYZE sla_summary")
        run.finished_at = timezone.now()
        run.counts = {"measurements": counts, "seconds": timings}
        run.save(update_fields=["finished_at", "counts"])
    return run


_SUMMARY_KEY = "standard_id, la_id, site_key, \"month\", stop_month, days"


def _summary_rows(d: Dialect, where: str, table: str = "sla_measurement") -> str:
    """The summary's key and counts for the stopped measurements of `table` that match `where`."""
    met = "CASE WHEN NOT m.failed AND (m.due_on IS NULL OR m.stop_on <= m.due_on) THEN 1 ELSE 0 END"
    stop_month = d.month_start("m.stop_on")
    return f"""
        SELECT m.standard_id, m.la_id, COALESCE(m.site_id, 0) AS site_key, m.month, {stop_month} AS stop_month,
               COALESCE(m.working_days, -1) AS days, COUNT(*) AS items, SUM({met}) AS met
        FROM {table} m
        WHERE m.stop_on IS NOT NULL {where}
        GROUP BY m.standard_id, m.la_id, COALESCE(m.site_id, 0), m.month, {stop_month}, COALESCE(m.working_days, -1)"""


def _refresh_standard(cursor, d: Dialect, standard: Standard, scope: _Scope, units: dict, cutoff: dt.datetime,
                      la_id: int | None = None) -> int:
    """Delete the standard's measurements in scope and compute them again; keep the summary in step (for a
    scope: take away the replaced items' counts and add the new ones')."""
    scoped = scope.measurements(standard)
    values = {"std": standard.pk, **({"scope_la": la_id} if scope.kind == "la" else {})}
    if scope.kind != "full":
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS sla_delta (standard_id bigint, la_id bigint, "
                       "site_key bigint, month date, stop_month date, days integer, items integer, met integer)")
        cursor.execute("DELETE FROM sla_delta")
        cursor.execute(f"INSERT INTO sla_delta ({_SUMMARY_KEY}, items, met) "
                       f"SELECT {_SUMMARY_KEY}, -items, -met FROM ({_summary_rows(d, 'AND m.standard_id = %(std)s ' + scoped)}) old",
                       values)
    cursor.execute(f"DELETE FROM sla_measurement WHERE standard_id = %(std)s {scoped}", values)
    inserted = 0
    if standard.start_kinds:
        params = _Params(cutoff=cutoff, scope_la=la_id, std=standard.pk)
        sql = _insert_sql(d, standard, scope, params, units)
        if scope.kind != "la":
            params.values.pop("scope_la", None)
        cursor.execute(sql, params.values)
        inserted = cursor.rowcount
    if scope.kind == "full":
        cursor.execute("DELETE FROM sla_summary WHERE standard_id = %(std)s", {"std": standard.pk})
        cursor.execute(f"INSERT INTO sla_summary ({_SUMMARY_KEY}, items, met) "
                       f"SELECT {_SUMMARY_KEY}, items, met FROM ({_summary_rows(d, 'AND m.standard_id = %(std)s')}) new",
                       {"std": standard.pk})
        cursor.execute(f"""
            INSERT INTO sla_summary ({_SUMMARY_KEY}, items, met)
            SELECT standard_id, 0, site_key, "month", stop_month, days, SUM(items), SUM(met) FROM sla_summary
            WHERE standard_id = %(std)s AND la_id <> 0
            GROUP BY standard_id, site_key, "month", stop_month, days""", {"std": standard.pk})
    else:
        cursor.execute(f"INSERT INTO sla_delta ({_SUMMARY_KEY}, items, met) "
                       f"SELECT {_SUMMARY_KEY}, items, met FROM ({_summary_rows(d, 'AND m.standard_id = %(std)s ' + scoped)}) new",
                       values)
        # The totals for every LA (la_id 0) move by the same amounts.
        cursor.execute(f"INSERT INTO sla_delta ({_SUMMARY_KEY}, items, met) "
                       f"SELECT standard_id, 0, site_key, \"month\", stop_month, days, items, met FROM sla_delta")
        cursor.execute(f"""
            INSERT INTO sla_summary ({_SUMMARY_KEY}, items, met)
            SELECT {_SUMMARY_KEY}, SUM(items), SUM(met) FROM sla_delta WHERE TRUE
            GROUP BY {_SUMMARY_KEY}
            ON CONFLICT ({_SUMMARY_KEY}) DO UPDATE SET items = sla_summary.items + excluded.items,
                                                     met = sla_summary.met + excluded.met""")
        cursor.execute("DELETE FROM sla_summary WHERE standard_id = %(std)s AND items = 0", {"std": standard.pk})
    return inserted


def last_refresh() -> RefreshRun | None:
    return RefreshRun.objects.filter(finished_at__isnull=False).first()


def nightly_since(now: dt.datetime) -> int | None:
    """The watermark of the last refresh at least a day old: the nightly run reads the whole last day again."""
    run = (RefreshRun.objects.filter(finished_at__isnull=False, started_at__lte=now - dt.timedelta(days=1))
           .order_by("-id").first())
    return run.max_event_id if run else None


def measurement_count() -> int:
    return Measurement.objects.count()
