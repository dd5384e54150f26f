"""What the PostgreSQL benches share: the server, the bench databases, timed SQL, and how busy the machine is.
(No Django here: the benches run it in worker processes.)"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import psycopg

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def log(message: str) -> None:
    print(message, flush=True)


def url(db: str) -> str:
    return f"{PG_SERVER}/{db}"


def env(db: str) -> dict:
    """The environment of a worker process or `liaison` command working on bench database `db`."""
    return {**os.environ, "DATABASE_URL": url(db), "DJANGO_SETTINGS_MODULE": "liaison.config.settings.local",
            "DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "testserver,localhost"}


def admin() -> psycopg.Connection:
    return psycopg.connect(url("postgres"), autocommit=True)


def drop(db: str) -> None:
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def statements(sql: str) -> list[str]:
    return [s for s in re.split(r";\s*\n", sql) if s.strip()]


def timed(conn: psycopg.Connection, sql: str, params: dict | None = None, what: str = "") -> float:
    """Run the statements of `sql` (one transaction, committed) and return the seconds they took."""
    started = time.perf_counter()
    with conn.cursor() as cur:
        for statement in statements(sql):
            cur.execute(statement, params)
    conn.commit()
    seconds = time.perf_counter() - started
    if what:
        log(f"  {what}: {seconds:.1f} s")
    return seconds


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def cpu_pressure() -> str:
    """Linux PSI: the share of time some runnable task waited for a CPU (other work on the machine)."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return ""


# The server settings the figures depend on (docs/operating.md gives those we run with).
SETTINGS = ("server_version", "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost",
            "synchronous_commit", "max_wal_size", "wal_compression", "checkpoint_timeout",
            "max_parallel_workers_per_gather")


def server_settings() -> dict[str, str]:
    with admin() as conn:
        return {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in SETTINGS}
