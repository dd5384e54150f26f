"""Bulk referral file: validation, scrutiny and loading of a 100,000-row file on PostgreSQL.

Target (the issue): >= 5,000 referrals a second end to end on a 2-core machine, peak memory under 300 MB
whatever the file's size (the file is streamed). A bare COPY of the same file into a plain table is timed in
the same run as the floor to compare against.

What is timed: `liaison import-referrals FILE --la CODE --format json` in its own process, from start to exit
(Django start-up, the whole-file check, the copy of the upload into storage, and every chunk: validation,
re-send recognition, scrutiny against the benefit register, instalment plans and duplicates, then cases,
referrals, debts, notices, outbox e-mails and timeline events, committed chunk by chunk with progress; the
per-row results are written to a file). PDFs are rendered later, at delivery, and are not part of it.

Each run starts from the same database state: a template database is prepared once (migrations, reference
data, the benefit register, instalment plans) and every run gets a fresh copy of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from _pg import server_settings

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIAISON = BIN / "liaison"
RESULTS = REPO / "bench" / "results"

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "liaison_bench")  # created afresh (dropped first!) for each timed run
TEMPLATE_DB = f"{DB}_template"
LA_CODE = "E08000035"  # Leeds
TARGET_PER_SECOND = 5000
TARGET_RSS_MB = 300

# The file's columns, in the template's order (liaison.referrals.validation.COLUMNS; kept here so the bench
# process need not import Django).
COLUMNS = ["la_code", "referral_date", "cis_checked_on", "customer_name", "address_line_1", "address_line_2",
           "address_line_3", "address_line_4", "postcode", "nino", "date_of_birth", "la_reference", "benefit",
           "civil_penalty", "civil_penalty_overpayment_reference", "cause", "classification", "reason",
           "reason_other", "period_from", "period_to", "amount_recovered", "outstanding_balance"]

FIRST = ["Megan", "Oliver", "Aisha", "Tomasz", "Siobhan", "Rhys", "Priya", "Callum", "Zofia", "Dylan", "Grace",
         "Mohammed", "Eilidh", "Jack", "Chloe", "Kwame", "Ffion", "Liam", "Amara", "Noah"]
LAST = ["O'Neill", "Smith", "Khan", "Nowak", "Jones", "Williams", "Patel", "MacDonald", "Davies", "Evans",
        "Brown", "Taylor", "Wilson", "Hughes", "Ahmed", "Roberts", "Mensah", "Clarke", "Lewis", "Walker-Reid"]
STREETS = ["Station Road", "High Street", "Church Lane", "Park Avenue", "Victoria Street", "Mill Lane",
           "Kirkstall Road", "Otley Road", "Harehills Lane", "Roundhay Road"]
POSTCODES = ["LS1 4DY", "LS6 2AB", "LS11 5QT", "LS8 3PN", "LS12 4EU", "LS15 8GB", "LS17 6DJ", "LS9 7HR",
             "LS10 1LF", "LS28 5NZ"]
REASONS = ["EARNINGS", "INCOME", "CAPITAL", "HOUSEHOLD", "NON_DEPENDANT", "MOVED", "ABSENCE", "OTHER_BENEFIT",
           "RENT", "STUDENT", "OTHER"]
PRESCRIBED = ["ESA", "JSA", "IS", "PC", "RP", "CA", "DLA"]
NINO_PREFIXES = ["AB", "CE", "EH", "HJ", "JK", "KL", "LM", "MN", "NP", "PR", "RS", "ST", "TW", "WX", "XY", "YZ"]
FAULTS = [
    ("nino", "QQ123456A"), ("postcode", "NOWHERE"), ("outstanding_balance", ""), ("outstanding_balance", "12.345"),
    ("date_of_birth", "31/02/1980"), ("benefit", "UC"), ("la_code", "W06000015"), ("reason", "LOTTERY"),
    ("customer_name", "=HYPERLINK(1)"), ("cause", "neglect"), ("period_to", "not a date"),
]


def log(message: str) -> None:
    print(message, flush=True)


# --- Data -----------------------------------------------------------------------------------------------------

def generate(directory: Path, rows: int, *, seed: int = 20250407) -> dict:
    """Write referrals.csv (one LA's file), awards.csv (the benefit register) and plans (NINOs with a current
    instalment plan). The mix: ~5% rows with faults, ~3% customers with no prescribed benefit, ~1% duplicates
    (same customer, period and balance under a new reference), ~0.5% re-sent rows, ~0.5% instalment plans,
    ~1% Civil Penalties following their overpayment, ~0.2% near-duplicates that wait for an officer."""
    rng = random.Random(seed)
    today = dt.date.today()
    referrals_path, awards_path = directory / "referrals.csv", directory / "awards.csv"
    plans: list[str] = []
    mix = {"fault": 0, "no_benefit": 0, "duplicate": 0, "resent": 0, "plan": 0, "civil_penalty": 0, "near": 0}
    recent: list[dict] = []  # earlier good rows, for duplicates, re-sends and penalties
    with open(referrals_path, "w", newline="", encoding="utf-8") as ref_fh, \
            open(awards_path, "w", newline="", encoding="utf-8") as award_fh:
        out = csv.writer(ref_fh)
        out.writerow(COLUMNS)
        awards = csv.writer(award_fh)
        awards.writerow(["nino", "benefit", "weekly_amount", "start", "end"])
        for i in range(rows):
            nino = f"{NINO_PREFIXES[i % len(NINO_PREFIXES)]}{100000 + i // len(NINO_PREFIXES):06d}{'ABCD'[i % 4]}"
            referral_date = today - dt.timedelta(days=rng.randint(0, 30))
            p_from = today - dt.timedelta(days=rng.randint(200, 1500))
            p_to = p_from + dt.timedelta(days=rng.randint(7, 180))
            reason = rng.choice(REASONS)
            row = {
                "la_code": LA_CODE, "referral_date": referral_date.isoformat(),
                "cis_checked_on": (referral_date - dt.timedelta(days=rng.randint(0, 5))).isoformat(),
                "customer_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "address_line_1": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
                "address_line_2": rng.choice(["", "", "Flat 2", "Armley"]), "address_line_3": "Leeds",
                "address_line_4": rng.choice(["", "West Yorkshire"]), "postcode": rng.choice(POSTCODES),
                "nino": nino, "date_of_birth": dt.date(rng.randint(1940, 2004), rng.randint(1, 12),
                                                       rng.randint(1, 28)).isoformat(),
                "la_reference": f"LDS/OP/{i:07d}", "benefit": rng.choice(["HB", "HB", "HB", "CTB"]),
                "civil_penalty": "no", "civil_penalty_overpayment_reference": "",
                "cause": rng.choice(["failure_to_disclose", "misrepresentation"]),
                "classification": rng.choice(["error", "error", "error", "fraud"]), "reason": reason,
                "reason_other": "Undeclared lodger" if reason == "OTHER" else "",
                "period_from": p_from.isoformat(), "period_to": p_to.isoformat(),
                "amount_recovered": f"{rng.randint(0, 20000) / 100:.2f}",
                "outstanding_balance": f"{rng.randint(5000, 500000) / 100:.2f}",
            }
            kind = rng.random()
            if kind < 0.05:
                mix["fault"] += 1
                for _ in range(rng.choice([1, 1, 2])):
                    name, value = rng.choice(FAULTS)
                    row[name] = value
            elif kind < 0.06 and recent:
                mix["duplicate"] += 1  # the same overpayment again, under a new reference
                row = dict(rng.choice(recent), la_reference=f"LDS/DUP/{i:07d}")
            elif kind < 0.065 and recent:
                mix["resent"] += 1  # exactly the same row again
                row = dict(rng.choice(recent))
            elif kind < 0.075 and recent:
                mix["civil_penalty"] += 1
                base = rng.choice(recent)
                row = dict(base, la_reference=f"LDS/CP/{i:07d}", civil_penalty="yes",
                           civil_penalty_overpayment_reference=base["la_reference"],
                           outstanding_balance=f"{rng.randint(5000, 20000) / 100:.2f}")
            elif kind < 0.077 and recent:
                mix["near"] += 1  # same customer, overlapping period, a different balance
                row = dict(rng.choice(recent), la_reference=f"LDS/NEAR/{i:07d}", outstanding_balance="77.70")
            else:
                if kind < 0.107:
                    mix["no_benefit"] += 1
                    if kind < 0.09:
                        awards.writerow([nino, "UC", "400.00", (today - dt.timedelta(days=400)).isoformat(), ""])
                else:
                    start = today - dt.timedelta(days=rng.randint(30, 3000))
                    awards.writerow([nino, rng.choice(PRESCRIBED), f"{rng.randint(5000, 30000) / 100:.2f}",
                                     start.isoformat(), ""])
                    if kind < 0.112:
                        mix["plan"] += 1
                        plans.append(nino)
                    elif len(recent) < 5000:
                        recent.append(row)
                    else:
                        recent[rng.randrange(len(recent))] = row
            out.writerow([row[c] for c in COLUMNS])
    return {"referrals": referrals_path, "awards": awards_path, "plans": plans, "mix": mix}


# --- Databases --------------------------------------------------------------------------------------------------

def admin() -> psycopg.Connection:
    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)


def recreate(name: str, template: str | None = None) -> None:
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def drop(name: str) -> None:
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def liaison_env(db: str, var_dir: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"{PG_SERVER}/{db}",
        "DJANGO_SETTINGS_MODULE": "liaison.config.settings.local",
        "DJANGO_DEBUG": "0",  # with DEBUG on, Django keeps every query in memory
        "LIAISON_VAR_DIR": str(var_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    })
    return env


def liaison(env: dict, *args: str) -> None:
    subprocess.run([str(LIAISON), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_template(data: dict, var_dir: Path) -> None:
    recreate(TEMPLATE_DB)
    env = liaison_env(TEMPLATE_DB, var_dir)
    liaison(env, "migrate", "--noinput", "--skip-checks")
    liaison(env, "load-reference-data")
    liaison(env, "load-awards", str(data["awards"]), "--source", "bench")
    with psycopg.connect(f"{PG_SERVER}/{TEMPLATE_DB}") as conn, conn.cursor() as cur:
        start = (dt.date.today() - dt.timedelta(days=60)).isoformat()
        with cur.copy("COPY recovery_instalmentplan (nino, reference, start, weekly_amount_pence) FROM STDIN") as cp:
            for n, nino in enumerate(data["plans"]):
                cp.write_row((nino, f"BENCH-IP-{n}", start, 500))
        cur.execute("ANALYZE")


# --- Measurements -----------------------------------------------------------------------------------------------

class BackendCPU:
    """CPU time of the PostgreSQL backends serving a database, sampled from /proc while a run goes on (the
    server runs on the same machine; a backend's time is read until it exits)."""

    def __init__(self, db: str) -> None:
        self.db, self.seen, self._stop = db, {}, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with admin() as conn:
            while not self._stop.wait(0.2):
                pids = [r[0] for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.db])]
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except (OSError, IndexError):
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    @property
    def seconds(self) -> float | None:
        return sum(self.seen.values()) if self.seen else None


def time_import(path: Path, var_dir: Path, *, profile: Path | None = None) -> dict:
    """One timed run on a fresh copy of the template database, in its own process."""
    recreate(DB, TEMPLATE_DB)
    env = liaison_env(DB, var_dir)
    out_path = var_dir / "results.jsonl"
    command = [str(LIAISON), "import-referrals", str(path), "--la", LA_CODE, "--format", "json"]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    with open(out_path, "wb") as out, open(var_dir / "stderr.txt", "wb") as err, BackendCPU(DB) as backend:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import-referrals failed ({proc.returncode}):\n{(var_dir / 'stderr.txt').read_text()}")
    with open(out_path, "rb") as fh:
        lines = sum(1 for _ in fh)
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_user": usage.ru_utime,
            "cpu_sys": usage.ru_stime, "postgres_cpu": backend.seconds, "result_lines": lines,
            "recorded": recorded(DB)}


def recorded(db: str) -> dict:
    """What the run wrote, counted in the database (so a fast run that recorded nothing cannot pass)."""
    with psycopg.connect(f"{PG_SERVER}/{db}") as conn:
        def q(sql):
            return conn.execute(sql).fetchall()
        return {
            "referrals_by_status": dict(q("SELECT status, count(*) FROM referrals_referral GROUP BY 1 ORDER BY 1")),
            "import_rows": q("SELECT count(*) FROM referrals_importrow")[0][0],
            "cases": q("SELECT count(*) FROM core_case")[0][0],
            "debts": q("SELECT count(*) FROM recovery_debt")[0][0],
            "notices": q("SELECT count(*) FROM notices_notice")[0][0],
            "outbox": q("SELECT count(*) FROM notices_outboxmessage")[0][0],
            "events": q("SELECT count(*) FROM core_event")[0][0],
            "batch": q("SELECT state, rows_total, rows_done FROM referrals_importbatch")[0],
        }


def time_copy(path: Path) -> float:
    """A bare COPY of the same file into a plain table with the same columns (all text, no index)."""
    with psycopg.connect(f"{PG_SERVER}/{DB}") as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_copy")
        cur.execute("CREATE TABLE bench_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        conn.commit()
        started = time.perf_counter()
        with open(path, "rb") as fh, cur.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as cp:
            while block := fh.read(1 << 20):
                cp.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        cur.execute("DROP TABLE bench_copy")
        conn.commit()
    return seconds


def machine_load() -> dict:
    """How busy the machine is (other work competing for its 2 cores makes every figure worse)."""
    pressure = ""
    try:
        pressure = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        pass
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "cpu_pressure": pressure}


def run(*, rows: int = 100_000, runs: int = 3, profile: bool = False, keep: bool = False,
        scale_rows: int = 0) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        work = Path(tmp)
        log(f"Generating a {rows:,}-row referral file for {LA_CODE} ...")
        data = generate(work, rows)
        size_mb = data["referrals"].stat().st_size / 1_048_576
        log(f"  {size_mb:.1f} MB; mix {data['mix']}")
        log("Preparing the template database (migrate, reference data, benefit register) ...")
        prepare_template(data, work / "var")
        timings, copies = [], []
        load_start = machine_load()
        log(f"  machine load before timing: {load_start['loadavg']} ({load_start['cpu_pressure']})")
        settings = server_settings()
        log(f"  PostgreSQL settings: {settings} (docs/operating.md gives those we run with)")
        for n in range(runs):
            result = time_import(data["referrals"], work / "var")
            copy_seconds = time_copy(data["referrals"])
            result["copy_seconds"] = copy_seconds
            result["per_second"] = rows / result["seconds"]
            timings.append(result)
            copies.append(copy_seconds)
            result["machine_load_after"] = machine_load()
            log(f"  run {n + 1}: {result['seconds']:.2f} s, {result['per_second']:,.0f} referrals/s, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB, COPY {copy_seconds:.3f} s, "
                f"CPU {result['cpu_user'] + result['cpu_sys']:.1f} s + PostgreSQL {result['postgres_cpu'] or 0:.1f} s, "
                f"load {result['machine_load_after']['loadavg']}")
            if result["result_lines"] != rows:
                raise SystemExit(f"expected {rows} result lines, got {result['result_lines']}")
        scale = None
        if scale_rows:
            log(f"Memory with a {scale_rows:,}-row file (should be about the same: the file is streamed) ...")
            small = work / "referrals-small.csv"
            with open(data["referrals"], encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
                for n, line in enumerate(src):
                    if n > scale_rows:
                        break
                    dst.write(line)
            scale = time_import(small, work / "var")
            scale["rows"] = scale_rows
            log(f"  {scale_rows:,} rows: peak RSS {scale['peak_rss_mb']:.0f} MB, {scale['seconds']:.2f} s")
        profile_path = None
        if profile:
            profile_path = RESULTS / "referral_file.prof"
            log("Profiling one more run with cProfile (not counted) ...")
            time_import(data["referrals"], work / "var", profile=profile_path)
        if not keep:
            drop(DB)
            drop(TEMPLATE_DB)
    seconds = statistics.median(t["seconds"] for t in timings)
    rss = statistics.median(t["peak_rss_mb"] for t in timings)
    copy_seconds = statistics.median(copies)
    cpu = statistics.median(t["cpu_user"] + t["cpu_sys"] for t in timings)
    pg_cpu = statistics.median(t["postgres_cpu"] or 0 for t in timings)
    per_second = rows / seconds
    passed = per_second >= TARGET_PER_SECOND and max(t["peak_rss_mb"] for t in timings) < TARGET_RSS_MB
    summary = {
        "bench": "referral_file", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_before": load_start},
        "postgres": settings,
        "rows": rows, "file_mb": round(size_mb, 1), "mix": data["mix"], "runs": timings,
        "median": {"seconds": round(seconds, 3), "referrals_per_second": round(per_second),
                   "peak_rss_mb": round(rss, 1), "copy_seconds": round(copy_seconds, 3),
                   "ratio_to_copy": round(seconds / copy_seconds, 1), "cpu_seconds": round(cpu, 2),
                   "postgres_cpu_seconds": round(pg_cpu, 2)},
        "scale_check": scale, "profile": str(profile_path) if profile_path else None,
        "targets": {"referrals_per_second": TARGET_PER_SECOND, "peak_rss_mb": TARGET_RSS_MB},
        "passed": passed,
    }
    out = RESULTS / f"referral_file-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(summary, indent=2, default=str))
    log("")
    log(f"referral file, {rows:,} rows, median of {runs} runs:")
    log(f"  rows               {rows:,}")
    log(f"  seconds            {seconds:.2f}")
    log(f"  referrals/second   {per_second:,.0f}   (target >= {TARGET_PER_SECOND:,})")
    log(f"  peak RSS           {rss:.0f} MB   (target < {TARGET_RSS_MB} MB; worst run "
        f"{max(t['peak_rss_mb'] for t in timings):.0f} MB)")
    log(f"  bare COPY          {copy_seconds:.3f} s")
    log(f"  ratio to COPY      {seconds / copy_seconds:.1f}x")
    log(f"  CPU time           {cpu:.1f} s in Liaison's process, {pg_cpu:.1f} s in its PostgreSQL backend "
        f"({rows / (cpu + pg_cpu):,.0f} referrals per CPU-second, both together)")
    log(f"  {'PASS' if passed else 'FAIL'}   (results: {out.relative_to(REPO)})")
    return summary


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the referral file (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported (default 3)")
    parser.add_argument("--scale-rows", type=int, default=20_000,
                        help="also measure peak memory on the first N rows of the file, to show it does not grow "
                             "with the file's size (0 to skip; default 20,000)")
    parser.add_argument("--profile", action="store_true",
                        help="profile one extra, uncounted run with cProfile (bench/results/referral_file.prof)")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    args = parser.parse_args(argv)
    summary = run(rows=args.rows, runs=args.runs, profile=args.profile, keep=args.keep, scale_rows=args.scale_rows)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
