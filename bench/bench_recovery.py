"""Recovery and repayment on PostgreSQL: the weekly deduction run, the monthly remittance and a debt's account page.

Targets (the issue "Recovery and repayment"), on this 2-core machine:
  1. a weekly deduction run over 1,000,000 debts in recovery finishes in under 30 s, and within 3x a bare SQL
     INSERT … SELECT of the same rows (timed in the same run, on the same database state);
  2. the monthly remittance over 5,000,000 ledger entries for 360 LAs in under 60 s;
  3. a debt account page with 500 entries renders in under 100 ms.

The data (set-based SQL, generate_series; deterministic, from hashes of the row number):
  - the reference data (350 LAs, DM units, benefits, rates) loaded by `liaison load-reference-data`, plus 10
    bench-only LAs so the remittance covers 360 (codes X99000001…); debts are spread over all 360, skewed so the
    first LAs hold more;
  - 1,000,000 debts in recovery, each with its case: 10% fraud (the fraud rate), 5% CTB, 1% Civil Penalties on
    the previous debt, every 20th debt a second debt of the previous debtor; 1% with a hardship rate (0.2% with two);
    balances from 1 to 100 weeks of deductions left, so about 1% are paid in full each week (closed, HBPIF sent);
  - the benefit register: ~1,090,000 awards. 97% of debtors have a current prescribed award (0.5% of them too
    small to take the whole rate), 5% a second current prescribed award (the larger is deducted from), 5% a
    current Universal Credit award (not prescribed); 2% only an ended award, 1% none;
  - suspensions: 500 current and 500 ended per-debt ones, one LA's debts suspended, one benefit suspended in the
    past and one for the second and third bench weeks;
  - the ledger's history: five weekly deductions per debt paid in November 2025 (weeks of 27 October to 24
    November), 5,000,000 cash entries, with `cleared_pence` to match;
  - one debt with 500 entries (495 deductions since 2016, 5 reversals), two hardship rates, a suspension and
    two hardship applications, for the account page.

What is timed:
  - deduction: `deduction_run(week_start=…)`, the real code, in a worker process (bench/_recovery_worker.py),
    for the weeks of 1, 8 and 15 December 2025 in turn (each a new week, so each posts again). Before each, on
    the same state, one INSERT … SELECT of the same rows into a plain table (no indexes, no constraints: the
    floor), committed. The two must agree on the row count. Tables are vacuumed between weeks (untimed), as
    autovacuum would between two weekly runs.
  - remittance: `remittance_run(month=November 2025)` on a fresh copy of the database (CREATE DATABASE …
    TEMPLATE), once per copy; then the same month again on the last copy, which must change nothing.
  - page: GET of the debt's account page through Django's test Client, logged in as a CCG agent, after a
    warm-up; the median of 20 loads. Each load records a "viewed" event, as in production.

    .venv/bin/python bench/bench_recovery.py                  # full size
    .venv/bin/python bench/bench_recovery.py --debts 100000   # quicker, smaller (targets still 1M-sized)
    .venv/bin/python bench/bench_recovery.py --reuse          # skip generation: reuse the kept database
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import PG_SERVER, log, server_settings
from _pg import admin as _admin
from _pg import drop as _drop
from _pg import env as _env
from _pg import loadavg as _loadavg
from _pg import timed as _timed
from _pg import url as _url
from _recovery_worker import server_cpu_seconds  # (no Django there: it only reads /proc)

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIAISON = BIN / "liaison"
WORKER = Path(__file__).resolve().parent / "_recovery_worker.py"
RESULTS = REPO / "bench" / "results"

DB = "liaison_bench_recovery"
COPY_DB = "liaison_bench_recovery_copy"

TARGET_DEDUCTION_S = 30.0
TARGET_RATIO = 3.0
TARGET_REMITTANCE_S = 60.0
TARGET_PAGE_MS = 100.0

EXTRA_LAS = 10  # bench-only LAs on top of the 350 in the reference data: 360 for the remittance
HISTORY_WEEKS = [dt.date(2025, 10, 27) + dt.timedelta(weeks=n) for n in range(5)]  # paid in November 2025
# The timed deduction runs: the first weeks from 1 December 2025 not yet run (a reused database goes on).
RUN_WEEKS = [dt.date(2025, 12, 1) + dt.timedelta(weeks=n) for n in range(12)]
REMITTANCE_MONTH = dt.date(2025, 11, 1)
REMITTANCE_NOW = dt.datetime(2025, 12, 1, 6, 0, tzinfo=dt.UTC)
PRESCRIBED = ["ESA", "JSA", "IS", "PC", "RP", "CA", "DLA"]
PAGE_ENTRIES = 500
PAGE_REVERSALS = 5


def _worker(db: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, str(WORKER), *args], env=_env(db), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _s(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.1f} s"


# --- Data -----------------------------------------------------------------------------------------------------

# u(i, salt): a uniform number in [0, 1) from the row number, the same every run (no random(), no seed to keep).
_FUNCTIONS = """
CREATE FUNCTION pg_temp.u(i bigint, salt bigint) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(i, salt) & 9007199254740991)::float8 / 9007199254740992.0 $$;
CREATE FUNCTION pg_temp.nino(k bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT 'JH' || lpad(((k * 611953) % 1000000)::text, 6, '0') || (ARRAY['A','B','C','D'])[1 + (k % 4)::int] $$;
"""

_EXTRA_LAS = """
INSERT INTO partners_organisation (code, name, kind, unit, nation, region, address_lines, postcode, intake_email,
                                   ccg_site_id, active)
SELECT 'X99' || lpad(n::text, 6, '0'), 'Bench Authority ' || n, 'LA', '', 'ENG', 'Bench', '["Bench"]'::jsonb,
       'LS1 4DY', 'bench.la' || n || '@example.gov.uk',
       (SELECT id FROM partners_organisation WHERE code = 'DM-CCG-BRADFORD'), true
FROM generate_series(1, %(extra)s) n
ON CONFLICT (code) DO NOTHING
"""

_LAS = """
CREATE TEMP TABLE bench_la AS
SELECT (row_number() OVER (ORDER BY o.id) - 1)::int AS n, o.id,
       coalesce(o.ccg_site_id, (SELECT id FROM partners_organisation WHERE code = 'DM-CCG-BRADFORD')) AS site_id
FROM partners_organisation o WHERE o.kind = 'LA';
CREATE UNIQUE INDEX ON bench_la (n);
ANALYZE bench_la;
"""

# Debt i (1..N) belongs to debtor k: i - 1, except every 20th debt, which is the previous debtor's second.
_DEBTS = """
CREATE TEMP TABLE bench_debt AS
SELECT i, CASE WHEN i %% 20 = 0 THEN i - 2 ELSE i - 1 END AS k,
       (SELECT count(*) FROM bench_la)::int AS las,
       pg_temp.u(i, 2) < 0.10 AS fraud
FROM generate_series(1, %(n)s) i;

INSERT INTO core_case (id, scheme, la_id, opened_at)
SELECT d.i, 'hb-overpayment', l.id, timestamptz '2024-01-01 10:00+00' + floor(pg_temp.u(d.i, 5) * 640) * interval '1 day'
FROM bench_debt d JOIN bench_la l ON l.n = least(floor(d.las * power(pg_temp.u(d.i, 1), 1.3))::int, d.las - 1);

INSERT INTO recovery_debt (id, case_id, la_id, owning_site_id, nino, debtor_name, la_reference, benefit_type,
                           is_civil_penalty, overpayment_id, classification, original_balance_pence,
                           weekly_rate_pence, recovery_start_date, status, loaded_at, cleared_pence, closed_at,
                           stop_reason, stop_details)
SELECT d.i, d.i, l.id, l.site_id, pg_temp.nino(d.k),
       (ARRAY['Megan','Oliver','Aisha','Tomasz','Siobhan','Rhys','Priya','Callum','Zofia','Dylan'])[1 + d.k %% 10]
         || ' ' || (ARRAY['O''Neill','Smith','Khan','Nowak','Jones','Patel','MacDonald','Davies','Evans','Mensah'])
         [1 + (d.k / 10) %% 10],
       'HB/' || lpad(d.i::text, 8, '0'),
       CASE WHEN pg_temp.u(d.i, 6) < 0.05 THEN 'CTB' ELSE 'HB' END,
       d.i %% 100 = 0, CASE WHEN d.i %% 100 = 0 THEN d.i - 1 END,
       CASE WHEN d.fraud THEN 'FRAUD' ELSE 'ERROR' END,
       r.rate * 5 + r.rate * (1 + floor(pg_temp.u(d.i, 3) * 100)::int) - floor(pg_temp.u(d.i, 4) * r.rate * 0.9)::int,
       r.rate,
       date '2024-01-15' + floor(pg_temp.u(d.i, 5) * 640)::int,
       'IN_RECOVERY',
       timestamptz '2024-01-01 10:00+00' + floor(pg_temp.u(d.i, 5) * 640) * interval '1 day',
       r.rate * 5, NULL, '', ''
FROM bench_debt d
JOIN bench_la l ON l.n = least(floor(d.las * power(pg_temp.u(d.i, 1), 1.3))::int, d.las - 1)
CROSS JOIN LATERAL (SELECT CASE WHEN d.fraud THEN %(fraud)s ELSE %(standard)s END AS rate) r
ORDER BY d.i;
"""

_AWARDS = """
INSERT INTO benefits_award (nino, benefit_id, weekly_amount_pence, start, "end", source, updated_at)
SELECT pg_temp.nino(k),
       (%(prescribed)s::text[])[1 + floor(pg_temp.u(k, 12) * 7)::int],
       CASE WHEN pg_temp.u(k, 13) < 0.005 THEN 900 ELSE 6000 + floor(pg_temp.u(k, 14) * 24000)::int END,
       date '2019-01-07' + floor(pg_temp.u(k, 15) * 1800)::int,
       CASE WHEN pg_temp.u(k, 11) < 0.02 THEN date '2025-06-30' END,
       'bench', now()
FROM generate_series(0, %(n)s - 1) k
WHERE pg_temp.u(k, 11) >= 0.01;

INSERT INTO benefits_award (nino, benefit_id, weekly_amount_pence, start, "end", source, updated_at)
SELECT pg_temp.nino(k),
       CASE WHEN pg_temp.u(k, 16) < 0.05
            THEN (%(prescribed)s::text[])[1 + (floor(pg_temp.u(k, 12) * 7)::int + 3) %% 7] ELSE 'UC' END,
       3000 + floor(pg_temp.u(k, 17) * 30000)::int,
       date '2020-03-02' + floor(pg_temp.u(k, 18) * 1500)::int, NULL, 'bench', now()
FROM generate_series(0, %(n)s - 1) k
WHERE (pg_temp.u(k, 16) < 0.05 AND pg_temp.u(k, 11) >= 0.03) OR pg_temp.u(k, 16) BETWEEN 0.05 AND 0.10;
"""

_RATES = """
INSERT INTO recovery_debtrate (debt_id, effective_from, weekly_pence, reason, created_at)
SELECT i, date '2025-09-01' + floor(pg_temp.u(i, 21) * 90)::int, 400 + floor(pg_temp.u(i, 22) * 800)::int,
       'Hardship: income and expenditure assessed', timestamptz '2025-08-28 10:00+00'
FROM generate_series(1, %(n)s) i WHERE pg_temp.u(i, 20) < 0.01;

INSERT INTO recovery_debtrate (debt_id, effective_from, weekly_pence, reason, created_at)
SELECT i, date '2025-03-03', 1000, 'Hardship: earlier assessment', timestamptz '2025-02-27 10:00+00'
FROM generate_series(1, %(n)s) i WHERE pg_temp.u(i, 20) < 0.002;
"""

_SUSPENSIONS = """
INSERT INTO recovery_suspension (debt_id, la_id, benefit_id, starts, ends, reason, created_at, created_by_id)
SELECT i::bigint, NULL::bigint, NULL::text, date '2025-11-15', NULL, 'Customer disputes the debt', timestamptz '2025-11-14 10:00+00',
       %(user)s
FROM generate_series(1, %(n)s) i WHERE pg_temp.u(i, 30) < 0.0005
UNION ALL
SELECT i, NULL, NULL, date '2025-06-02', date '2025-09-30', 'Customer in hospital', timestamptz '2025-06-01 10:00+00',
       %(user)s
FROM generate_series(1, %(n)s) i WHERE pg_temp.u(i, 31) < 0.0005
UNION ALL
SELECT NULL::bigint, (SELECT id FROM bench_la WHERE n = 100)::bigint, NULL::text, date '2025-11-20', NULL,
       'LA system migration: LA asked for a pause', timestamptz '2025-11-19 10:00+00', %(user)s
UNION ALL
SELECT NULL, NULL, 'CA', date '2025-01-06', date '2025-02-02', 'Carer''s Allowance payment fault',
       timestamptz '2025-01-05 10:00+00', %(user)s
UNION ALL
SELECT NULL, NULL, 'DLA', date '2025-12-10', date '2025-12-20', 'DLA uprating fault',
       timestamptz '2025-12-05 10:00+00', %(user)s;
"""

# The history: five weekly deductions per debt paid in November 2025, one posting per week, as runs had made them.
_HISTORY_WEEK = """
WITH r AS (
    INSERT INTO recovery_deductionrun (week_start, state, started_at, finished_at, counts)
    VALUES (%(week)s, 'DONE', %(at)s, %(at)s, '{"bench": "history"}') RETURNING id
), p AS (
    INSERT INTO recovery_posting (created_at, kind, run_id) SELECT %(at)s, 'deduction-run', id FROM r RETURNING id
)
INSERT INTO recovery_ledgerentry (debt_id, la_id, kind, is_cash, amount_pence, effective_date, recorded_at,
                                  week_start, benefit_id, posting_id, note, reverses_id)
SELECT d.id, d.la_id, 'DEDUCTION', true, d.weekly_rate_pence, %(pay_day)s, %(at)s, %(week)s,
       (%(prescribed)s::text[])[1 + floor(pg_temp.u(b.k, 12) * 7)::int], p.id, '', NULL
FROM recovery_debt d JOIN bench_debt b ON b.i = d.id CROSS JOIN p
ORDER BY d.id
"""

# The account page's debt: its own case, debtor (whose award has ended: no new deductions), 500 entries.
_PAGE_DEBT = """
INSERT INTO core_case (id, scheme, la_id, opened_at)
VALUES (%(id)s, 'hb-overpayment', (SELECT id FROM bench_la WHERE n = 0), timestamptz '2016-02-22 10:00+00');
INSERT INTO benefits_award (nino, benefit_id, weekly_amount_pence, start, "end", source, updated_at)
VALUES ('PG000001A', 'ESA', 14000, date '2015-01-05', date '2025-10-31', 'bench', now());
INSERT INTO recovery_debt (id, case_id, la_id, owning_site_id, nino, debtor_name, la_reference, benefit_type,
                           is_civil_penalty, overpayment_id, classification, original_balance_pence,
                           weekly_rate_pence, recovery_start_date, status, loaded_at, cleared_pence, closed_at,
                           stop_reason, stop_details)
SELECT %(id)s, %(id)s, id, site_id, 'PG000001A', 'Siobhan O''Neill-Mensah', 'HB/PAGE0001', 'HB', false, NULL,
       'ERROR', 1500000, 1155, date '2016-03-07', 'IN_RECOVERY', timestamptz '2016-02-22 10:00+00', 0, NULL, '', ''
FROM bench_la WHERE n = 0;
INSERT INTO recovery_posting (created_at, kind, run_id) VALUES (timestamptz '2025-11-01 06:00+00', 'bench-page', NULL);
INSERT INTO recovery_ledgerentry (debt_id, la_id, kind, is_cash, amount_pence, effective_date, recorded_at,
                                  week_start, benefit_id, posting_id, note, reverses_id)
SELECT %(id)s, d.la_id, 'DEDUCTION', true, CASE WHEN w < 300 THEN 1155 ELSE 1395 END,
       date '2016-03-07' + w * 7 + 6, timestamptz '2016-03-14 06:00+00' + w * interval '7 days',
       date '2016-03-07' + w * 7, 'ESA', currval(pg_get_serial_sequence('recovery_posting', 'id')), '', NULL
FROM recovery_debt d, generate_series(0, %(deductions)s - 1) w WHERE d.id = %(id)s;
INSERT INTO recovery_ledgerentry (debt_id, la_id, kind, is_cash, amount_pence, effective_date, recorded_at,
                                  week_start, benefit_id, posting_id, note, reverses_id)
SELECT e.debt_id, e.la_id, 'REVERSAL', true, -e.amount_pence, e.effective_date + 3, e.recorded_at + interval '3 days',
       NULL, e.benefit_id, e.posting_id, 'Deducted in error: the award was suspended that week', e.id
FROM (SELECT *, row_number() OVER (ORDER BY id) AS rn FROM recovery_ledgerentry WHERE debt_id = %(id)s) e
WHERE e.rn %% (%(deductions)s / %(reversals)s) = 50
LIMIT %(reversals)s;
UPDATE recovery_debt SET cleared_pence = (SELECT sum(amount_pence) FROM recovery_ledgerentry WHERE debt_id = %(id)s)
WHERE id = %(id)s;
INSERT INTO recovery_debtrate (debt_id, effective_from, weekly_pence, reason, created_at) VALUES
  (%(id)s, date '2019-04-01', 800, 'Hardship: income and expenditure assessed', timestamptz '2019-03-28 10:00+00'),
  (%(id)s, date '2021-09-06', 1100, 'Hardship: reviewed, circumstances improved', timestamptz '2021-09-01 10:00+00');
INSERT INTO recovery_suspension (debt_id, la_id, benefit_id, starts, ends, reason, created_at, created_by_id)
VALUES (%(id)s, NULL, NULL, date '2020-04-06', date '2020-06-28', 'Customer in hospital',
        timestamptz '2020-04-03 10:00+00', %(user)s);
INSERT INTO recovery_hardshipapplication (debt_id, received_on, forwarded_by_la, weekly_income_pence,
    weekly_outgoings_pence, details, status, recorded_by_id, decided_by_id, decided_at, reasons, new_weekly_pence,
    effective_from) VALUES
  (%(id)s, date '2019-03-11', true, 21000, 20500, 'Forwarded by the LA', 'GRANTED', %(user)s, %(user)s,
   timestamptz '2019-03-28 10:00+00', 'Income barely covers essential outgoings', 800, date '2019-04-01'),
  (%(id)s, date '2021-08-16', false, 26000, 22000, '', 'GRANTED', %(user)s, %(user)s,
   timestamptz '2021-09-01 10:00+00', 'Reviewed: circumstances improved', 1100, date '2021-09-06');
"""


def _subprocess(*args: str, db: str) -> None:
    proc = subprocess.run([str(LIAISON), *args], env=_env(db), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"liaison {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def generate(*, debts: int) -> dict:
    """A fresh database, migrated, with the reference data and the bench's data. Returns facts about it."""
    timings = {}
    started = time.perf_counter()
    _drop(DB)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{DB}"')
    log(f"Database {DB}: migrate, load the reference data")
    _subprocess("migrate", "--noinput", db=DB)
    _subprocess("load-reference-data", db=DB)
    user_id = _worker(DB, "user")["user_id"]
    timings["setup"] = time.perf_counter() - started
    params = {"n": debts, "extra": EXTRA_LAS, "prescribed": PRESCRIBED, "user": user_id,
              "standard": 1395, "fraud": 2325}
    with psycopg.connect(_url(DB)) as conn:
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET maintenance_work_mem = '512MB'")
        # A bulk load of rows consistent by construction: no per-row foreign-key checks (triggers) while loading.
        # (Needs a superuser, as the bench's server account is; the timed runs keep every check.)
        conn.execute("SET session_replication_role = replica")
        # The 2025/26 rates are what the debts were set up at (checked here, not assumed).
        rate = conn.execute("SELECT standard_weekly_pence, fraud_weekly_pence FROM recovery_recoveryrate "
                            "WHERE effective_from <= %s ORDER BY effective_from DESC LIMIT 1",
                            (RUN_WEEKS[0],)).fetchone()
        params["standard"], params["fraud"] = rate
        conn.execute(_FUNCTIONS)
        _timed(conn, _EXTRA_LAS, params)
        _timed(conn, _LAS)
        timings["debts"] = _timed(conn, _DEBTS, params, f"{debts:,} cases and debts")
        timings["awards"] = _timed(conn, _AWARDS, params, "benefit register")
        _timed(conn, _RATES, params, "hardship rates")
        _timed(conn, _SUSPENSIONS, params, "suspensions")
        conn.execute("CREATE INDEX ON bench_debt (i)")
        conn.execute("ANALYZE bench_debt")
        hist = 0.0
        for week in HISTORY_WEEKS:
            pay_day = week + dt.timedelta(days=6)
            at = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(6), tzinfo=dt.UTC)
            hist += _timed(conn, _HISTORY_WEEK, {**params, "week": week, "pay_day": pay_day, "at": at},
                           f"history: week of {week}")
        timings["history"] = hist
        page_id = debts + 1
        _timed(conn, _PAGE_DEBT, {"id": page_id, "user": user_id, "deductions": PAGE_ENTRIES - PAGE_REVERSALS,
                                  "reversals": PAGE_REVERSALS}, "the account page's debt")
        for table in ("core_case", "recovery_debt"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        facts = {
            "debts": conn.execute("SELECT count(*) FROM recovery_debt WHERE status = 'IN_RECOVERY'").fetchone()[0],
            "awards": conn.execute("SELECT count(*) FROM benefits_award").fetchone()[0],
            "debt_rates": conn.execute("SELECT count(*) FROM recovery_debtrate").fetchone()[0],
            "suspensions": conn.execute("SELECT count(*) FROM recovery_suspension").fetchone()[0],
            "ledger_entries": conn.execute("SELECT count(*) FROM recovery_ledgerentry").fetchone()[0],
            "las_with_debts": conn.execute("SELECT count(DISTINCT la_id) FROM recovery_debt").fetchone()[0],
            "page_debt": page_id,
            "page_entries": conn.execute("SELECT count(*) FROM recovery_ledgerentry WHERE debt_id = %s",
                                         (page_id,)).fetchone()[0],
            "user_id": user_id,
        }
    with psycopg.connect(_url(DB), autocommit=True) as conn:
        started_vacuum = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - started_vacuum
        facts["database_size"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    timings["total"] = time.perf_counter() - started
    facts["generation_seconds"] = {k: round(v, 1) for k, v in timings.items()}
    log(f"Generated in {timings['total']:.0f} s: {facts}")
    return facts


def _facts(debts: int) -> dict:
    with psycopg.connect(_url(DB)) as conn:
        page_id = conn.execute("SELECT id FROM recovery_debt WHERE nino = 'PG000001A'").fetchone()[0]
        return {
            "debts": conn.execute("SELECT count(*) FROM recovery_debt WHERE status = 'IN_RECOVERY'").fetchone()[0],
            "ledger_entries": conn.execute("SELECT count(*) FROM recovery_ledgerentry").fetchone()[0],
            "page_debt": page_id,
            "user_id": conn.execute("SELECT id FROM partners_user WHERE username = 'bench.ccg.agent'").fetchone()[0],
        }


# --- 1. The weekly deduction run ---------------------------------------------------------------------------

# The floor: the same rows as the run posts, in one statement, into a plain table (no indexes, no constraints):
# the same join to the benefit register (the largest current prescribed award), the hardship rate, the
# suspensions and the same amount. No chunks, no idempotency, no posting, no debt update, no notices.
_BARE_TABLE = """
DROP TABLE IF EXISTS bench_bare_entry;
CREATE TABLE bench_bare_entry (LIKE recovery_ledgerentry INCLUDING DEFAULTS INCLUDING IDENTITY);
"""

# For comparison only: the same statement into an empty copy of the ledger table with all its indexes, checks and
# foreign keys (what the rows themselves cost to write into a table shaped like the ledger).
_LEDGER_SHAPED_TABLE = """
DROP TABLE IF EXISTS bench_bare_ledger;
CREATE TABLE bench_bare_ledger (LIKE recovery_ledgerentry INCLUDING ALL);
"""

_BARE_INSERT = """
INSERT INTO {table} (debt_id, la_id, kind, is_cash, amount_pence, effective_date, recorded_at, week_start,
                     benefit_id, posting_id, note, reverses_id)
SELECT id, la_id, 'DEDUCTION', true, amount, %(pay_day)s, %(now)s, %(week_start)s, benefit_id, %(posting)s, '', NULL
FROM (
    SELECT d.id, d.la_id, aw.benefit_id,
           LEAST(coalesce(r.weekly_pence, CASE WHEN d.classification = 'FRAUD' THEN %(fraud)s ELSE %(standard)s END),
                 d.original_balance_pence - d.cleared_pence, aw.headroom) AS amount
    FROM recovery_debt d
    JOIN (SELECT DISTINCT ON (a.nino) a.nino, a.benefit_id, a.weekly_amount_pence - b.minimum_remaining_pence AS headroom
          FROM benefits_award a JOIN benefits_benefit b ON b.code = a.benefit_id
          WHERE b.prescribed AND a.start <= %(week_end)s AND (a."end" IS NULL OR a."end" >= %(week_start)s)
          ORDER BY a.nino, a.weekly_amount_pence DESC, a.id) aw ON aw.nino = d.nino
    LEFT JOIN (SELECT DISTINCT ON (debt_id) debt_id, weekly_pence FROM recovery_debtrate
               WHERE effective_from <= %(week_start)s ORDER BY debt_id, effective_from DESC, id DESC) r
           ON r.debt_id = d.id
    WHERE d.status = 'IN_RECOVERY' AND d.recovery_start_date <= %(week_end)s
      AND d.cleared_pence < d.original_balance_pence
      AND NOT EXISTS (SELECT 1 FROM recovery_suspension s
                      WHERE s.debt_id = d.id AND s.starts <= %(week_end)s AND (s.ends IS NULL OR s.ends >= %(week_start)s)
                        AND (s.la_id IS NULL OR s.la_id = d.la_id) AND (s.benefit_id IS NULL OR s.benefit_id = aw.benefit_id))
      AND NOT EXISTS (SELECT 1 FROM recovery_suspension s
                      WHERE s.debt_id IS NULL AND s.starts <= %(week_end)s AND (s.ends IS NULL OR s.ends >= %(week_start)s)
                        AND (s.la_id IS NULL OR s.la_id = d.la_id) AND (s.benefit_id IS NULL OR s.benefit_id = aw.benefit_id))
) due
WHERE amount > 0
"""


def _copy_foreign_keys(conn: psycopg.Connection, source: str, target: str) -> None:
    rows = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                        "AND contype = 'f' ORDER BY conname", (source,)).fetchall()
    for n, (definition,) in enumerate(rows):
        conn.execute(f"ALTER TABLE {target} ADD CONSTRAINT {target}_fk{n} {definition}")


def _floor(conn: psycopg.Connection, table_sql: str, table: str, params: dict) -> dict:
    """Time the INSERT … SELECT into a fresh `table` (committed), then drop it. Wall and database CPU seconds."""
    conn.execute(table_sql)
    if table == "bench_bare_ledger":
        _copy_foreign_keys(conn, "recovery_ledgerentry", table)
    conn.commit()
    cpu0 = server_cpu_seconds()  # the whole server, as for the run (which posts from several sessions)
    seconds = _timed(conn, _BARE_INSERT.format(table=table), params)
    cpu1 = server_cpu_seconds()
    rows, pence = conn.execute(f"SELECT count(*), coalesce(sum(amount_pence), 0) FROM {table}").fetchone()
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    return {"seconds": seconds, "db_cpu_seconds": None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
            "rows": rows, "pence": int(pence)}


def bench_deduction(*, runs: int) -> dict:
    results = []
    with psycopg.connect(_url(DB)) as conn:
        done = {row[0] for row in conn.execute("SELECT week_start FROM recovery_deductionrun WHERE state = 'DONE'")}
    weeks = [w for w in RUN_WEEKS if w not in done][:runs]
    for week in weeks:
        now = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(6), tzinfo=dt.UTC)
        with psycopg.connect(_url(DB)) as conn:
            rate = conn.execute("SELECT standard_weekly_pence, fraud_weekly_pence FROM recovery_recoveryrate "
                                "WHERE effective_from <= %s ORDER BY effective_from DESC LIMIT 1", (week,)).fetchone()
            posting = conn.execute("SELECT min(id) FROM recovery_posting").fetchone()[0]
            params = {"week_start": week, "week_end": week + dt.timedelta(days=6), "pay_day": week + dt.timedelta(days=6),
                      "now": now, "standard": rate[0], "fraud": rate[1], "posting": posting}
            in_recovery = conn.execute("SELECT count(*) FROM recovery_debt WHERE status = 'IN_RECOVERY'").fetchone()[0]
            bare = _floor(conn, _BARE_TABLE, "bench_bare_entry", params)
            shaped = _floor(conn, _LEDGER_SHAPED_TABLE, "bench_bare_ledger", params)
        load = _loadavg()
        real = _worker(DB, "deduction", "--week", week.isoformat(), "--now", now.isoformat())
        with psycopg.connect(_url(DB)) as conn:
            posted = conn.execute("SELECT count(*), coalesce(sum(amount_pence), 0) FROM recovery_ledgerentry "
                                  "WHERE kind = 'DEDUCTION' AND week_start = %s", (week,)).fetchone()
        agree = (posted[0], int(posted[1])) == (bare["rows"], bare["pence"])
        row = {"week": week.isoformat(), "debts_in_recovery": in_recovery, "seconds": real["seconds"],
               "db_cpu_seconds": real.get("server_cpu_seconds", real["db_cpu_seconds"]), "python_cpu_seconds": real["python_cpu_seconds"],
               "bare_seconds": bare["seconds"], "bare_db_cpu_seconds": bare["db_cpu_seconds"],
               "ledger_shaped_seconds": shaped["seconds"], "ledger_shaped_db_cpu_seconds": shaped["db_cpu_seconds"],
               "ratio": real["seconds"] / bare["seconds"], "posted": posted[0], "posted_pence": int(posted[1]),
               "bare_rows": bare["rows"], "rows_agree": agree, "counts": real["counts"], "loadavg_before": load}
        results.append(row)
        log(f"  week of {week}: run {real['seconds']:.1f} s (CPU: database, all sessions {_s(row['db_cpu_seconds'])}, Python "
            f"{_s(real['python_cpu_seconds'])}); bare INSERT … SELECT {bare['seconds']:.1f} s (database CPU "
            f"{_s(bare['db_cpu_seconds'])}): x{row['ratio']:.2f}; into a ledger-shaped table {shaped['seconds']:.1f} s "
            f"(database CPU {_s(shaped['db_cpu_seconds'])}); {posted[0]:,} posted, "
            f"{real['counts'].get('paid_in_full', 0):,} paid in full; load average {load}"
            f"{'' if agree else '  ROWS DIFFER: bare ' + format(bare['rows'], ',')}")
        with psycopg.connect(_url(DB), autocommit=True) as conn:  # as autovacuum would, between two weekly runs
            conn.execute("VACUUM ANALYZE recovery_debt, recovery_ledgerentry, recovery_posting, core_event, "
                         "notices_notice, notices_outboxmessage")

    def median(key):
        values = [r[key] for r in results if r[key] is not None]
        return statistics.median(values) if values else None

    seconds, bare_seconds = median("seconds"), median("bare_seconds")
    ratio = seconds / bare_seconds
    agree = all(r["rows_agree"] for r in results)
    return {"runs": results, "median_seconds": seconds, "bare_median_seconds": bare_seconds, "ratio": ratio,
            "ledger_shaped_median_seconds": median("ledger_shaped_seconds"),
            "db_cpu_median_seconds": median("db_cpu_seconds"), "bare_db_cpu_median_seconds": median("bare_db_cpu_seconds"),
            "ledger_shaped_db_cpu_median_seconds": median("ledger_shaped_db_cpu_seconds"), "rows_agree": agree,
            "passed": seconds < TARGET_DEDUCTION_S and ratio < TARGET_RATIO and agree}


# --- 2. The monthly remittance -----------------------------------------------------------------------------

def _copy_database(target: str) -> float:
    started = time.perf_counter()
    _drop(target)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{DB}" STRATEGY FILE_COPY')
    return time.perf_counter() - started


def bench_remittance(*, runs: int, keep: bool) -> dict:
    with psycopg.connect(_url(DB)) as conn:
        due = conn.execute("SELECT count(*), count(DISTINCT la_id) FROM recovery_ledgerentry "
                           "WHERE is_cash AND effective_date <= %s",
                           (dt.date(2025, 11, 30),)).fetchone()
    results, rerun = [], None
    for n in range(runs):
        copy_seconds = _copy_database(COPY_DB)
        log(f"  fresh copy of the database: {copy_seconds:.0f} s")
        load = _loadavg()
        out = _worker(COPY_DB, "remittance", "--month", REMITTANCE_MONTH.isoformat(), "--now", REMITTANCE_NOW.isoformat())
        out["loadavg_before"] = load
        results.append(out)
        log(f"  remittance for {REMITTANCE_MONTH:%B %Y}: {out['seconds']:.1f} s; {out['counts']}")
        if n == runs - 1:
            rerun = _worker(COPY_DB, "remittance", "--month", REMITTANCE_MONTH.isoformat(), "--now",
                            REMITTANCE_NOW.isoformat())
            rerun["changed_nothing"] = (rerun["before"] == rerun["after"] and not rerun["counts"].get("remittances")
                                        and not rerun["counts"].get("items"))
            log(f"  re-run of the same month: {rerun['seconds']:.1f} s, changed nothing: {rerun['changed_nothing']}")
    if not keep:
        _drop(COPY_DB)
    median = statistics.median(r["seconds"] for r in results)
    first = results[0]["counts"]
    return {"runs": results, "median_seconds": median, "entries_due": due[0], "las_due": due[1],
            "remittances": first.get("remittances"), "items": first.get("items"), "rerun": rerun,
            "passed": median < TARGET_REMITTANCE_S and bool(rerun and rerun["changed_nothing"])}


# --- 3. The debt account page ------------------------------------------------------------------------------

def bench_page(*, debt: int, user: int, loads: int) -> dict:
    out = _worker(DB, "page", "--debt", str(debt), "--user", str(user), "--loads", str(loads))
    log(f"  debt account page ({out['ledger_rows']} ledger rows, {out['bytes'] // 1024} KB, {out['queries']} queries): "
        f"median {out['median_ms']:.1f} ms (min {out['min_ms']:.1f}, max {out['max_ms']:.1f})")
    out["passed"] = out["median_ms"] < TARGET_PAGE_MS
    return out


# --- Running it ------------------------------------------------------------------------------------------------

def _verdict(passed) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def report(summary: dict) -> None:
    d, r, p = summary.get("deduction"), summary.get("remittance"), summary.get("page")
    rows = []
    if d:
        rows.append((f"Deduction run, {d['runs'][0]['debts_in_recovery']:,} debts (median of {len(d['runs'])})",
                     f"{d['median_seconds']:.1f} s", f"< {TARGET_DEDUCTION_S:.0f} s", _verdict(d["median_seconds"] < TARGET_DEDUCTION_S)))
        rows.append(("  bare INSERT … SELECT of the same rows (plain table)", f"{d['bare_median_seconds']:.1f} s", "", ""))
        rows.append(("  run / bare", f"x{d['ratio']:.2f}", f"< x{TARGET_RATIO:.0f}", _verdict(d["ratio"] < TARGET_RATIO)))
        rows.append(("  (same INSERT into a ledger-shaped table: indexes, checks)",
                     f"{d['ledger_shaped_median_seconds']:.1f} s", "", ""))
        if d.get("db_cpu_median_seconds") is not None and d.get("bare_db_cpu_median_seconds"):
            rows.append(("  database CPU: run / bare / ledger-shaped",
                         f"{d['db_cpu_median_seconds']:.0f}/{d['bare_db_cpu_median_seconds']:.0f}/"
                         f"{d['ledger_shaped_db_cpu_median_seconds']:.0f} s", "", ""))
    if r:
        rows.append((f"Monthly remittance, {r['items']:,} entries, {r['remittances']} LAs (median of {len(r['runs'])})",
                     f"{r['median_seconds']:.1f} s", f"< {TARGET_REMITTANCE_S:.0f} s",
                     _verdict(r["median_seconds"] < TARGET_REMITTANCE_S)))
        if r.get("rerun"):
            rows.append(("  re-run of the month (changes nothing)", f"{r['rerun']['seconds']:.1f} s", "",
                         "PASS" if r["rerun"]["changed_nothing"] else "FAIL"))
    if p:
        rows.append((f"Debt account page, {p['ledger_rows']} entries (median of {len(p['times_ms'])})",
                     f"{p['median_ms']:.1f} ms", f"< {TARGET_PAGE_MS:.0f} ms", _verdict(p["passed"])))
    if not rows:
        return
    width = max(len(row[0]) for row in rows)
    log("")
    log(f"{'Recovery and repayment':<{width}}  {'measured':>10}  {'target':>8}  result")
    for name, value, target, verdict in rows:
        log(f"{name:<{width}}  {value:>10}  {target:>8}  {verdict}")


def run(*, debts: int = 1_000_000, runs: int = 3, loads: int = 20, keep: bool = False, reuse: bool = False,
        steps: tuple[str, ...] = ("deduction", "remittance", "page"), **_ignored) -> dict:
    """Everything, with the result written under bench/results/. Returns the summary (`passed`)."""
    if runs > len(RUN_WEEKS):
        raise SystemExit(f"--runs: at most {len(RUN_WEEKS)}")
    log(f"Recovery bench: {debts:,} debts, {runs} runs, on {PG_SERVER}; load average {_loadavg()}")
    facts = _facts(debts) if reuse else generate(debts=debts)
    summary: dict = {"bench": "recovery", "started": dt.datetime.now(dt.UTC).isoformat(), "debts": debts,
                     "facts": facts, "cpus": os.cpu_count(), "loadavg_start": _loadavg()}
    summary["postgres"] = server_settings()
    log(f"  PostgreSQL settings: {summary['postgres']} (docs/operating.md gives those we run with)")
    if "deduction" in steps:
        log("Weekly deduction run:")
        summary["deduction"] = bench_deduction(runs=runs)
    if "remittance" in steps:
        log("Monthly remittance:")
        summary["remittance"] = bench_remittance(runs=runs, keep=keep)
    if "page" in steps:
        log("Debt account page:")
        summary["page"] = bench_page(debt=facts["page_debt"], user=facts["user_id"], loads=loads)
    summary["loadavg_end"] = _loadavg()
    verdicts = [summary[s]["passed"] for s in steps if summary.get(s)]
    summary["passed"] = all(v is not False for v in verdicts)
    report(summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"recovery-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(summary, indent=2, default=str))
    log(f"Results: {out.relative_to(REPO)}")
    if not keep:
        _drop(DB)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debts", type=int, default=1_000_000, help="debts in recovery (default 1,000,000); the "
                        "ledger's history is five entries a debt")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each; the median is reported (default 3)")
    parser.add_argument("--loads", type=int, default=20, help="timed loads of the account page (default 20)")
    parser.add_argument("--steps", default="deduction,remittance,page", help="which to time (default all three)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse the kept database (skips generation; the "
                        "deduction weeks must not have been run on it yet)")
    args = parser.parse_args(argv)
    summary = run(debts=args.debts, runs=args.runs, loads=args.loads, keep=args.keep or args.reuse, reuse=args.reuse,
                  steps=tuple(s.strip() for s in args.steps.split(",") if s.strip()))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
