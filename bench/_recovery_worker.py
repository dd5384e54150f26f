"""The Django side of bench_recovery.py: run in its own process against the bench database, so the bench process
never configures Django (other benchmarks share it). Each command prints one line of JSON on stdout, last.

    DATABASE_URL=... python bench/_recovery_worker.py user
    DATABASE_URL=... python bench/_recovery_worker.py deduction --week 2025-12-01 --now 2025-12-08T06:00:00+00:00
    DATABASE_URL=... python bench/_recovery_worker.py remittance --month 2025-11-01 --now 2025-12-01T06:00:00+00:00
    DATABASE_URL=... python bench/_recovery_worker.py page --debt 1000001 --user 5 --loads 20

Timings are taken inside the process (Django's start-up is not part of what is measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")


def _setup() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench worker: DATABASE_URL must name the PostgreSQL bench database")
    import django

    django.setup()


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the PostgreSQL backend `pid` has used: with the worker's own CPU time, a measure
    that other work on the machine inflates far less than wall time. None where /proc cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def server_cpu_seconds() -> float | None:
    """CPU time of the whole PostgreSQL server on this machine: every postgres process (backends, WAL writer,
    checkpointer, ...) plus what the postmaster has collected from backends that have exited (a run that posts
    from several sessions closes them before it returns). None where /proc cannot be read."""
    try:
        procs = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as fh:
                    text = fh.read()
            except OSError:
                continue
            comm = text[text.index("(") + 1:text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            procs[int(name)] = (comm, int(fields[1]), [int(f) for f in fields[11:15]])
        total = 0
        for comm, ppid, (utime, stime, cutime, cstime) in procs.values():
            if comm == "postgres":
                total += utime + stime
                if procs.get(ppid, ("",))[0] != "postgres":  # the postmaster: add its exited children
                    total += cutime + cstime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Clock:
    """Wall time, this process's CPU time and the database's CPU time of what runs inside it (this session's
    backend, and the whole server's)."""

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.server0 = server_cpu_seconds()
        self.backend0, self.cpu0, self.wall0 = backend_cpu_seconds(self.pid), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.wall0
        self.cpu_seconds = time.process_time() - self.cpu0
        backend = backend_cpu_seconds(self.pid)
        self.backend_cpu_seconds = None if backend is None or self.backend0 is None else backend - self.backend0
        server = server_cpu_seconds()
        self.server_cpu_seconds = None if server is None or self.server0 is None else server - self.server0
        return False

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "python_cpu_seconds": self.cpu_seconds,
                "db_cpu_seconds": self.backend_cpu_seconds, "server_cpu_seconds": self.server_cpu_seconds}


def cmd_user(args) -> dict:
    """A CCG agent (DM; may manage debts, so the page shows every action link) to view the account as."""
    from liaison.partners.models import Organisation, Role, User

    site = Organisation.objects.get(code="DM-CCG-BRADFORD")
    user = User.objects.filter(username="bench.ccg.agent").first() or User.objects.create_user(
        username="bench.ccg.agent", password=None, role=Role.CCG_AGENT, organisation=site,
        first_name="Bench", last_name="Agent")
    return {"user_id": user.pk}


def cmd_deduction(args) -> dict:
    from liaison.recovery.ledger import deduction_run

    week = dt.date.fromisoformat(args.week)
    now = dt.datetime.fromisoformat(args.now)
    with Clock() as clock:
        from liaison.recovery.ledger import RUN_CHUNK

        run = deduction_run(week_start=week, now=now, chunk=int(os.environ.get("BENCH_CHUNK", RUN_CHUNK)))
    return {**clock.as_dict(), "state": run.state, "counts": run.counts, "run_id": run.pk}


def _remittance_state() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(total_pence), 0), coalesce(sum(item_count), 0) "
                       "FROM remittance_remittance")
        remittances, total, items = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM remittance_remittanceitem")
        (item_rows,) = cursor.fetchone()
    return {"remittances": remittances, "total_pence": int(total), "item_count": int(items), "item_rows": item_rows}


def cmd_remittance(args) -> dict:
    from liaison.remittance.services import remittance_run

    month = dt.date.fromisoformat(args.month)
    now = dt.datetime.fromisoformat(args.now)
    before = _remittance_state()
    with Clock() as clock:
        run = remittance_run(month=month, now=now)
    return {**clock.as_dict(), "counts": run.counts, "before": before, "after": _remittance_state()}


def cmd_page(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from liaison.partners.models import User

    client = Client()
    client.force_login(User.objects.get(pk=args.user))
    url = reverse("recovery:debt_detail", args=[args.debt])
    for _ in range(args.warmup):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    times = []
    for _ in range(args.loads):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    body = response.content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"url": url, "times_ms": [t * 1000 for t in times], "median_ms": statistics.median(times) * 1000,
            "min_ms": min(times) * 1000, "max_ms": max(times) * 1000, "bytes": len(body),
            "ledger_rows": body.count('<td class="govuk-table__cell liaison-nowrap">'), "queries": len(queries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("user")
    p = sub.add_parser("deduction")
    p.add_argument("--week", required=True)
    p.add_argument("--now", required=True)
    p = sub.add_parser("remittance")
    p.add_argument("--month", required=True)
    p.add_argument("--now", required=True)
    p = sub.add_parser("page")
    p.add_argument("--debt", type=int, required=True)
    p.add_argument("--user", type=int, required=True)
    p.add_argument("--loads", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    _setup()
    result = {"user": cmd_user, "deduction": cmd_deduction, "remittance": cmd_remittance, "page": cmd_page}[
        args.command](args)
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
