"""The test command: the whole suite on SQLite (with the browser tests), then again on PostgreSQL.

PostgreSQL is taken from TEST_DATABASE_URL (default: the local server, user postgres). Where none is reachable
the PostgreSQL run is skipped with the reason, except in CI (CI=true), where that is a failure.
"""

import os
import subprocess
import sys

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/liaison")
IN_CI = os.environ.get("CI", "").lower() == "true"
pytest = [sys.executable, "-m", "pytest", *sys.argv[1:]]


def postgres_reachable(url: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    import dj_database_url

    cfg = dj_database_url.parse(url)
    try:
        psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                        password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: not reachable
        return f"{type(exc).__name__}: {exc}".strip()
    return None


env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
print("== Liaison tests on SQLite ==", flush=True)
code = subprocess.call(pytest, env=env)
if code not in (0,):
    sys.exit(code)

problem = postgres_reachable(PG_URL)
if problem:
    message = f"PostgreSQL tests SKIPPED: no server reachable at {PG_URL} ({problem})"
    if IN_CI:
        print(message.replace("SKIPPED", "FAILED (CI must test on PostgreSQL)"), flush=True)
        sys.exit(1)
    print(message, flush=True)
    sys.exit(0)
print("== Liaison tests on PostgreSQL ==", flush=True)
sys.exit(subprocess.call([*pytest, "-m", "not browser"], env={**env, "DATABASE_URL": PG_URL}))
