"""Signing in: failed attempts are throttled (django-axes), and production refuses to start without its secrets."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings

import liaison

MANAGE_PY = Path(liaison.__file__).parent / "manage.py"
PASSWORD = "correct-horse-battery"  # what tests/conftest.py's make_user gives everyone


def sign_in(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- Throttling failed sign-ins ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_good_sign_in_goes_home(client, la_officer):
    response = sign_in(client, "la.officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == la_officer


@pytest.mark.django_db
def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, la_officer):
    wrong_password = sign_in(client, "la.officer", "not-the-password")
    no_such_user = sign_in(client, "nobody.at.all", "not-the-password")
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert wrong_password.context["form"].errors == no_such_user.context["form"].errors


@pytest.mark.django_db
def test_five_failed_sign_ins_lock_the_account_out_even_with_the_right_password(client, la_officer):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        response = sign_in(client, "la.officer", f"guess-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = sign_in(client, "la.officer", "guess-5")
    assert locked.status_code == 429
    assert "Too many attempts to sign in" in locked.content.decode()
    assert "Wait 15 minutes, then try again." in locked.content.decode()

    right_password = sign_in(client, "la.officer", PASSWORD)
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="la.officer").failures_since_start == 6  # trying while locked counts


@pytest.mark.django_db
def test_the_lockout_is_for_that_user_name_from_that_address(client, la_officer, other_la_officer):
    for attempt in range(5):
        sign_in(client, "la.officer", f"guess-{attempt}")
    assert sign_in(client, "la.officer", PASSWORD).status_code == 429
    assert sign_in(client, "other.la.officer", PASSWORD).status_code == 302  # another person, same address
    client.logout()
    assert sign_in(client, "la.officer", PASSWORD, ip="198.51.100.9").status_code == 302  # same person elsewhere


@pytest.mark.django_db
def test_a_good_sign_in_clears_earlier_failures(client, la_officer):
    for attempt in range(4):
        sign_in(client, "la.officer", f"guess-{attempt}")
    assert sign_in(client, "la.officer", PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        assert sign_in(client, "la.officer", f"again-{attempt}").status_code == 200
    assert sign_in(client, "la.officer", PASSWORD).status_code == 302


# --- Production settings -----------------------------------------------------------------------------------------

def random_secret(length: int = 60) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(length))


def production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py (or, with "-c", Python) in a fresh interpreter with production settings and only the
    environment given."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
             "DJANGO_SETTINGS_MODULE": "liaison.config.settings.production",
             "DATABASE_URL": "sqlite:////tmp/liaison-check-deploy.sqlite3", **env}
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, str(MANAGE_PY), *args]
    return subprocess.run(command, check=False, env=clean, capture_output=True, text=True, timeout=120)


GOOD = {"DJANGO_SECRET_KEY": random_secret(), "DJANGO_ALLOWED_HOSTS": "liaison.example.gov.uk"}


def test_production_settings_load_with_their_secrets():
    result = production("-c", "import liaison.config.settings.production as p; print(p.DEBUG, p.ALLOWED_HOSTS)",
                        **GOOD)
    assert (result.returncode, result.stdout) == (0, "False ['liaison.example.gov.uk']\n")


@pytest.mark.parametrize(("env", "message"), [
    ({"DJANGO_ALLOWED_HOSTS": "liaison.example.gov.uk"},
     "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters."),
    ({"DJANGO_SECRET_KEY": "too-short", "DJANGO_ALLOWED_HOSTS": "liaison.example.gov.uk"},
     "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters."),
    ({"DJANGO_SECRET_KEY": GOOD["DJANGO_SECRET_KEY"]},
     "DJANGO_ALLOWED_HOSTS must list the host names Liaison is served on ('*' is refused)."),
    ({"DJANGO_SECRET_KEY": GOOD["DJANGO_SECRET_KEY"], "DJANGO_ALLOWED_HOSTS": "*"},
     "DJANGO_ALLOWED_HOSTS must list the host names Liaison is served on ('*' is refused)."),
    ({"DJANGO_SECRET_KEY": GOOD["DJANGO_SECRET_KEY"], "DJANGO_ALLOWED_HOSTS": " , "},
     "DJANGO_ALLOWED_HOSTS must list the host names Liaison is served on ('*' is refused)."),
])
def test_production_settings_refuse_to_load_without_their_secrets(env, message):
    result = production("-c", "import liaison.config.settings.production", **env)
    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_production_passes_the_deployment_checklist_with_no_warnings():
    result = production("check", "--deploy", "--fail-level", "WARNING", **GOOD)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_deployment_checklist_run_here_does_fail_on_a_weakened_setting():
    """The check above can fail: switching HSTS off is reported, and fails at WARNING level."""
    result = production("check", "--deploy", "--fail-level", "WARNING", DJANGO_HSTS_SECONDS="0", **GOOD)
    assert result.returncode == 1
    assert "security.W004" in result.stderr
