import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from liaison.recovery.models import DeductionRun, LedgerEntry
from liaison.web.schedule import Job, due, enqueue_due

from .conftest import FIRST_WEEK

pytestmark = pytest.mark.django_db
LONDON = dt.timezone(dt.timedelta(hours=1))  # British Summer Time


def test_the_deduction_run_for_last_week_is_due_from_monday_0600(refdata):
    sunday = dt.datetime(2025, 6, 22, 23, 0, tzinfo=LONDON)
    monday_early = dt.datetime(2025, 6, 23, 5, 59, tzinfo=LONDON)
    monday = dt.datetime(2025, 6, 23, 6, 0, tzinfo=LONDON)
    assert Job("deductions", "2025-06-09") in due(sunday)
    assert Job("deductions", "2025-06-09") in due(monday_early)
    assert Job("deductions", "2025-06-16") in due(monday)
    DeductionRun.objects.create(week_start=dt.date(2025, 6, 16), started_at=monday, state="DONE")
    assert not [j for j in due(monday) if j.name == "deductions"]


def test_the_scheduler_enqueues_a_due_job_once(refdata, loaded_debt):
    debt = loaded_debt()
    already: set = set()
    now = dt.datetime(2025, 6, 23, 7, 0, tzinfo=LONDON)
    first = enqueue_due(now, already=already)  # the test task backend runs it at once
    assert Job("deductions", "2025-06-16") in first
    assert enqueue_due(now, already=already) == []
    assert LedgerEntry.objects.filter(debt=debt, week_start=FIRST_WEEK).count() == 1


def test_the_command_runs_a_week_and_says_what_it_did(loaded_debt):
    loaded_debt()
    out = StringIO()
    call_command("run_deductions", "--week", "2025-06-18", stdout=out)  # any day of the week
    assert out.getvalue().startswith("Week of 16 June 2025: 1 deductions posted, 0 debts paid in full")
    with pytest.raises(CommandError, match="must be a date"):
        call_command("run_deductions", "--week", "next tuesday")


def test_governance_reminders_are_due_once_a_day_from_0700(refdata):
    before = dt.datetime(2025, 6, 24, 6, 59, tzinfo=LONDON)
    after = dt.datetime(2025, 6, 24, 7, 0, tzinfo=LONDON)
    assert not [j for j in due(before) if j.name == "reminders"]
    assert Job("reminders", "2025-06-24") in due(after)
