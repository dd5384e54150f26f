"""Work queues: what is due, overdue and due soon on DM's calendar; filters; assignment."""

from __future__ import annotations

import datetime as dt

import pytest

from liaison.casework import limits
from liaison.casework.models import WorkItem
from liaison.casework.selectors import QueueFilters, queue_counts, work_queue
from liaison.casework.services import soe_request, workitem_assign
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.partners.models import Organisation

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_limits_are_data_read_from_one_table():
    assert {code: (limit.working_days, limit.calendar) for code, limit in limits.LIMITS.items()} == {
        "COC-NOTIFY": (5, "LA"), "COC-ACTION": (10, "DM"), "COMPLAINT-FWD": (3, "DM"), "SOE": (7, "DM")}


@pytest.mark.parametrize(("due", "expected"), [
    (dt.date(2025, 8, 21), "overdue"),  # yesterday
    (dt.date(2025, 8, 22), "soon"),  # today (Friday 22 August 2025)
    (dt.date(2025, 8, 27), "soon"),  # two working days on: Tuesday, after the bank holiday Monday
    (dt.date(2025, 8, 28), "later"),
])
def test_urgency_counts_working_days_across_a_bank_holiday(due, expected):
    assert limits.urgency(due, dt.date(2025, 8, 22)) == expected


def test_the_la_takes_working_days_on_its_own_nations_calendar():
    # Told Friday 1 August 2025; received Friday 8 August: 5 working days in Wales, 4 in Scotland (4 August holiday).
    assert limits.la_notified_within(dt.date(2025, 8, 1), dt.date(2025, 8, 8), "WLS") == (5, True)
    assert limits.la_notified_within(dt.date(2025, 8, 1), dt.date(2025, 8, 8), "SCT") == (4, True)
    assert limits.la_notified_within(dt.date(2025, 8, 1), dt.date(2025, 8, 11), "WLS") == (6, False)


def test_a_sites_queue_shows_its_open_work_soonest_due_first_with_filters(loaded_debt, notify, la_officer,
                                                                          ccg_agent):
    bradford = Organisation.objects.get(code="DM-CCG-BRADFORD")
    early = notify(loaded_debt(), now=dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC), la_told_on="2025-06-09")
    late = notify(loaded_debt(), change="now_on_hb")
    soe = soe_request(debt=loaded_debt(), actor=la_officer, now=NOW)
    today = dt.date(2025, 7, 1)
    everything = list(work_queue(bradford, today=today, filters=QueueFilters()))
    assert [i.subject for i in everything] == [early, soe, late]  # due 24 June, 10 July, 15 July
    assert queue_counts(bradford, today=today) == {"total": 3, "overdue": 1, "soon": 0, "later": 2}
    assert [i.subject for i in work_queue(bradford, today=today, filters=QueueFilters(due="overdue"))] == [early]
    assert [i.subject for i in work_queue(bradford, today=today, filters=QueueFilters(kind="SOE"))] == [soe]
    assert list(work_queue(Organisation.objects.get(code="DM-CCG-CORBY"), today=today, filters=QueueFilters())) == []

    item = WorkItem.objects.get(change=late)
    workitem_assign(item=item, assignee=ccg_agent, actor=ccg_agent, now=NOW)
    mine = work_queue(bradford, today=today, filters=QueueFilters(assigned="me"), user=ccg_agent)
    assert [i.subject for i in mine] == [late]
    assert [i.subject for i in work_queue(bradford, today=today, filters=QueueFilters(assigned="nobody"))] == [
        early, soe]
    [event] = Event.objects.filter(kind="casework.assigned")
    assert (event.case, event.la, event.actor) == (late.case, late.la, ccg_agent)
    assert event.summary == f"Change of circumstances {late.reference} assigned to {ccg_agent.display_name}"


def test_only_dm_agents_assign_and_only_to_agents(loaded_debt, notify, la_officer, ccg_agent):
    item = WorkItem.objects.get(change=notify(loaded_debt()))
    for actor, assignee in ((la_officer, la_officer), (ccg_agent, la_officer)):
        with pytest.raises(ApplicationError):
            workitem_assign(item=item, assignee=assignee, actor=actor, now=NOW)
    item.refresh_from_db()
    assert item.assigned_to is None and not Event.objects.filter(kind="casework.assigned").exists()
