"""Working days on each nation's calendar, on fixed dates: the calendar table (GOV.UK's feed through core.calendar)
and the clocks measured from the timeline. "Today" is always passed in."""

import datetime as dt
import random

import pytest

from liaison.core import calendar
from liaison.sla.measure import measurements_refresh
from liaison.sla.models import Measurement, WorkingDay
from liaison.sla.reference import table_add_working_days, table_working_days, working_days_load

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def table(db):
    working_days_load()


def test_the_table_agrees_with_govuks_feed_on_every_day_of_every_nation(table):
    for nation in ("ENG", "WLS", "SCT", "NIR"):
        rows = list(WorkingDay.objects.filter(nation=nation).order_by("day").values_list("day", "is_working", "ordinal"))
        assert rows[0][0] == D(2012, 1, 1) and rows[-1][0] == D(2028, 12, 31)
        ordinal = 0
        for day, working, stored in rows:
            assert working == calendar.is_working_day(day, nation), (nation, day)
            ordinal += working
            assert stored == ordinal


def test_loading_the_table_again_changes_nothing(table):
    assert working_days_load() == (WorkingDay.objects.count(), False)


@pytest.mark.parametrize("nation, day, working", [
    # 2 January: Scotland only
    ("SCT", D(2025, 1, 2), False), ("ENG", D(2025, 1, 2), True), ("NIR", D(2025, 1, 2), True),
    # St Andrew's Day: Scotland only; in 2024 it fell on a Saturday and Monday 2 December was the substitute day
    ("SCT", D(2023, 11, 30), False), ("ENG", D(2023, 11, 30), True),
    ("SCT", D(2024, 12, 2), False), ("ENG", D(2024, 12, 2), True), ("WLS", D(2024, 12, 2), True),
    # August: the first Monday in Scotland, the last in England and Wales (and Northern Ireland)
    ("SCT", D(2024, 8, 5), False), ("ENG", D(2024, 8, 5), True),
    ("ENG", D(2024, 8, 26), False), ("WLS", D(2024, 8, 26), False), ("SCT", D(2024, 8, 26), True),
    # Easter 2024 straddles the SLA year end: Good Friday everywhere, Easter Monday (1 April) not in Scotland
    ("SCT", D(2024, 3, 29), False), ("ENG", D(2024, 3, 29), False),
    ("ENG", D(2024, 4, 1), False), ("NIR", D(2024, 4, 1), False), ("SCT", D(2024, 4, 1), True),
    # Christmas 2021 on a weekend: substitutes 27 and 28 December; New Year's Day 2022 a Saturday: 3 January,
    # and in Scotland 4 January too (for 2 January, a Sunday)
    ("ENG", D(2021, 12, 27), False), ("ENG", D(2021, 12, 28), False), ("ENG", D(2022, 1, 3), False),
    ("ENG", D(2022, 1, 4), True), ("SCT", D(2022, 1, 4), False),
    # Northern Ireland's own: St Patrick's Day and the Battle of the Boyne
    ("NIR", D(2025, 3, 17), False), ("ENG", D(2025, 3, 17), True), ("NIR", D(2025, 7, 14), False),
])
def test_bank_holidays_differ_by_nation(table, nation, day, working):
    assert WorkingDay.objects.get(nation=nation, day=day).is_working is working


@pytest.mark.parametrize("nation, start, days, due", [
    ("ENG", D(2024, 12, 31), 5, D(2025, 1, 8)),   # 1 January
    ("SCT", D(2024, 12, 31), 5, D(2025, 1, 9)),   # 1 and 2 January
    ("SCT", D(2024, 11, 28), 3, D(2024, 12, 4)),  # St Andrew's Day's substitute, Monday 2 December
    ("ENG", D(2024, 11, 28), 3, D(2024, 12, 3)),
    ("SCT", D(2024, 8, 1), 2, D(2024, 8, 6)),     # first Monday of August
    ("ENG", D(2024, 8, 1), 2, D(2024, 8, 5)),
    ("ENG", D(2024, 8, 22), 2, D(2024, 8, 27)),   # last Monday of August
    ("SCT", D(2024, 8, 22), 2, D(2024, 8, 26)),
    ("ENG", D(2024, 3, 27), 3, D(2024, 4, 3)),    # Good Friday and Easter Monday, across the SLA year end
    ("SCT", D(2024, 3, 27), 3, D(2024, 4, 2)),    # Good Friday only
    ("ENG", D(2021, 12, 23), 5, D(2022, 1, 4)),   # 24, 29, 30, 31 Dec, 4 Jan: 27, 28 Dec and 3 Jan substitutes
    ("SCT", D(2021, 12, 23), 5, D(2022, 1, 5)),   # and 4 January too
    ("ENG", D(2024, 3, 30), 1, D(2024, 4, 2)),    # a Saturday start: the next working day is day 1
])
def test_due_dates_are_a_lookup_of_the_ordinal(table, nation, start, days, due):
    assert table_add_working_days(nation, start, days) == due == calendar.add_working_days(start, days, nation)
    assert table_working_days(nation, start, due) == days


def test_the_table_does_the_same_arithmetic_as_core_calendar(table):
    rng = random.Random(20240401)  # fixed: the same 400 cases every run
    for _ in range(400):
        nation = rng.choice(["ENG", "WLS", "SCT", "NIR"])
        start = D(2014, 1, 1) + dt.timedelta(days=rng.randrange(0, 5100))
        end = start + dt.timedelta(days=rng.randrange(0, 400))
        days = rng.randrange(0, 60)
        assert table_working_days(nation, start, end) == calendar.working_days_between(start, end, nation)
        assert table_add_working_days(nation, start, days) == calendar.add_working_days(start, days, nation)


# --- The clocks, measured from the timeline ---------------------------------------------------------------------

def _measured(code, **filters):
    return Measurement.objects.get(standard__code=code, **filters)


def test_coc_notify_runs_on_the_las_own_nation(standards, timeline, la, scottish_la, site):
    """The LA's clock (COC-NOTIFY) runs on its nation's calendar: told on 31 December 2024, the form must reach
    DM by 8 January in Leeds but by 9 January in Edinburgh (2 January is a Scottish holiday)."""
    for authority in (la, scottish_la):
        case = timeline.case(authority, "2024-06-01 10:00")
        timeline.event(case, "coc.received", "2025-01-09 11:00", org=site, la_told_on="2024-12-31", coc_id=case.pk)
    measurements_refresh(as_of=D(2025, 1, 31))
    leeds, edinburgh = _measured("COC-NOTIFY", la=la), _measured("COC-NOTIFY", la=scottish_la)
    assert (leeds.calendar, leeds.due_on, leeds.working_days) == ("ENG", D(2025, 1, 8), 6)
    assert (edinburgh.calendar, edinburgh.due_on, edinburgh.working_days) == ("SCT", D(2025, 1, 9), 5)
    assert leeds.stop_on > leeds.due_on and edinburgh.stop_on == edinburgh.due_on  # Leeds late, Edinburgh met


def test_dms_clocks_run_on_england_and_wales_whatever_the_las_nation(standards, timeline, scottish_la):
    """DM's clocks run on DM's calendar: St Andrew's Day is a working day for CC Porth, even for a Scottish LA."""
    timeline.referral(scottish_la, "2024-11-28 10:00", outcome="queued")
    measurements_refresh(as_of=D(2024, 12, 31))
    m = _measured("REF-INPUT", la=scottish_la)
    assert m.calendar == "ENG"
    assert m.due_on == D(2024, 12, 12) == calendar.add_working_days(D(2024, 11, 28), 10, "ENG")


def test_an_event_at_half_past_midnight_in_british_summer_time_is_on_its_london_date(standards, timeline, la):
    """00:30 BST on Monday 1 April 2024 is 23:30 UTC on Sunday 31 March: the clock starts on 1 April (Easter
    Monday, a holiday in England), in April, in SLA year 2024/25, not in March and 2023/24."""
    case = timeline.referral(la, "2024-04-01 00:30", outcome="queued")
    assert case.events.get(kind="referral.received").occurred_at.astimezone(dt.UTC).date() == D(2024, 3, 31)
    measurements_refresh(as_of=D(2024, 4, 30))
    m = _measured("REF-INPUT", case_id=case.pk)
    assert m.start_on == D(2024, 4, 1) and m.month == D(2024, 4, 1)
    assert m.due_on == D(2024, 4, 15)  # 10 working days from Tuesday 2 April


def test_the_night_the_clocks_go_back_and_forward(standards, timeline, la, site):
    """27 October 2024 (clocks back): 00:30 BST is 23:30 UTC the day before. 31 March 2024 (clocks forward):
    00:30 is still GMT. A stop at 00:30 BST on a Tuesday counts on that Tuesday."""
    autumn = timeline.case(la, "2024-10-20 10:00")
    timeline.event(autumn, "complaint.received", "2024-10-27 00:30", org=site)    # Sunday, in London
    timeline.event(autumn, "complaint.forwarded", "2024-10-30 00:30", org=site)   # Wednesday (GMT by then)
    spring = timeline.case(la, "2024-03-20 10:00")
    timeline.event(spring, "complaint.received", "2024-03-31 00:30", org=site)    # Sunday, GMT
    timeline.event(spring, "complaint.forwarded", "2024-04-04 00:30", org=site)   # Thursday 00:30 BST (23:30 UTC Wed)
    measurements_refresh(as_of=D(2024, 11, 30))
    a, s = _measured("COMPLAINT-FWD", case_id=autumn.pk), _measured("COMPLAINT-FWD", case_id=spring.pk)
    assert a.start_on == D(2024, 10, 27) and a.stop_on == D(2024, 10, 30) and a.working_days == 3
    assert s.start_on == D(2024, 3, 31) and s.stop_on == D(2024, 4, 4)
    assert s.working_days == 3  # Easter Monday 1 April is a holiday: 2, 3, 4 April
    assert s.due_on == D(2024, 4, 4) and s.stop_on <= s.due_on


def test_sla_year_boundaries(standards, timeline, la):
    """31 March is the last day of an SLA year and 1 April the first of the next (London dates)."""
    last = timeline.referral(la, "2025-03-31 23:59", outcome="queued")
    first = timeline.referral(la, "2025-04-01 00:01", outcome="queued")
    measurements_refresh(as_of=D(2025, 4, 30))
    assert _measured("REF-INPUT", case_id=last.pk).month == D(2025, 3, 1)
    assert _measured("REF-INPUT", case_id=first.pk).month == D(2025, 4, 1)
