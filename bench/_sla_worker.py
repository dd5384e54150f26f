"""The Django side of bench_sla.py: run in its own process against the bench database, so the bench process never
configures Django. Each command prints one line of JSON on stdout, last.

    DATABASE_URL=... python bench/_sla_worker.py users --la E08000025
    DATABASE_URL=... python bench/_sla_worker.py refresh --as-of 2025-04-30 [--full]
    DATABASE_URL=... python bench/_sla_worker.py pages --as-of 2025-04-30 --year 2024 --la E08000025 --loads 15

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


def cmd_users(args) -> dict:
    from liaison.partners.models import Organisation, Role, User

    porth = Organisation.objects.get(code="DM-PORTH")
    dm = User.objects.filter(username="bench.sla.liaison").first() or User.objects.create_user(
        username="bench.sla.liaison", password=None, role=Role.SLA_LIAISON, organisation=porth,
        first_name="Bench", last_name="Liaison")
    out = {"dm_user": dm.pk, "la_users": {}}
    for code in args.la:
        la = Organisation.objects.get(code=code)
        user = User.objects.filter(username=f"bench.la.{code.lower()}").first() or User.objects.create_user(
            username=f"bench.la.{code.lower()}", password=None, role=Role.LA_MANAGER, organisation=la,
            first_name="Bench", last_name="Manager")
        out["la_users"][code] = user.pk
    return out


def cmd_refresh(args) -> dict:
    from django.db import connection

    from liaison.sla.measure import measurements_refresh

    as_of = dt.date.fromisoformat(args.as_of)
    started = time.perf_counter()
    run = measurements_refresh(as_of=as_of, full=args.full)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sla_measurement")
        (rows,) = cursor.fetchone()
    return {"seconds": seconds, "full": run.full, "counts": run.counts, "measurements": rows}


def _time(client, url: str, loads: int, warmup: int = 2) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(loads):
        started = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"url": url, "times_ms": [round(t * 1000, 1) for t in times],
            "median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000, "max_ms": max(times) * 1000,
            "bytes": len(body), "queries": len(queries)}


def cmd_pages(args) -> dict:
    from django.test import Client

    from liaison.partners.models import User

    users = json.loads(args.users)
    query = f"period={args.year}&as_of={args.as_of}"
    out = {}
    dm = Client()
    dm.force_login(User.objects.get(pk=users["dm_user"]))
    out["dm_dashboard"] = _time(dm, f"/sla/?{query}", args.loads)
    out["dm_dashboard_month"] = _time(dm, f"/sla/?period={args.year + 1}-03&as_of={args.as_of}", args.loads)
    for code, user_id in users["la_users"].items():
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        out[f"la_dashboard_{code}"] = _time(client, f"/sla/?{query}", args.loads)
    statement_la = args.statement_la
    out["statement_pdf"] = _time(dm, f"/sla/statement.pdf?la={statement_la}&year={args.year}&as_of={args.as_of}",
                                 args.statement_loads, warmup=1)
    out["statement_xlsx"] = _time(dm, f"/sla/statement.xlsx?la={statement_la}&year={args.year}&as_of={args.as_of}",
                                  args.statement_loads, warmup=1)
    out["items_page"] = _time(dm, f"/sla/items/?standard=REF-INPUT&state=breached&{query}", args.loads)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("users")
    p.add_argument("--la", action="append", default=[])
    p = sub.add_parser("refresh")
    p.add_argument("--as-of", required=True)
    p.add_argument("--full", action="store_true")
    p = sub.add_parser("pages")
    p.add_argument("--as-of", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--statement-la", required=True)
    p.add_argument("--loads", type=int, default=15)
    p.add_argument("--statement-loads", type=int, default=3)
    args = parser.parse_args(argv)
    _setup()
    result = {"users": cmd_users, "refresh": cmd_refresh, "pages": cmd_pages}[args.command](args)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
