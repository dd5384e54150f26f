"""Working days on each nation's calendar (GOV.UK's feed), on fixed dates: 'today' is always passed in."""

import datetime as dt

from liaison.core.calendar import add_working_days, is_working_day, working_days_between

D = dt.date


def test_scotland_has_2_january_and_st_andrews_day_england_does_not():
    assert not is_working_day(D(2025, 1, 2), "SCT") and is_working_day(D(2025, 1, 2), "ENG")
    assert not is_working_day(D(2022, 11, 30), "SCT") and is_working_day(D(2022, 11, 30), "ENG")


def test_august_holidays_differ():
    assert not is_working_day(D(2025, 8, 4), "SCT") and is_working_day(D(2025, 8, 4), "ENG")
    assert not is_working_day(D(2025, 8, 25), "ENG") and is_working_day(D(2025, 8, 25), "SCT")


def test_easter_monday_is_not_a_scottish_holiday():
    assert not is_working_day(D(2025, 4, 21), "ENG") and not is_working_day(D(2025, 4, 21), "WLS")
    assert is_working_day(D(2025, 4, 21), "SCT")
    assert not is_working_day(D(2025, 4, 18), "SCT")  # Good Friday is


def test_ten_working_days_across_christmas_differ_by_nation():
    start = D(2025, 12, 19)  # a Friday
    assert add_working_days(start, 10, "ENG") == D(2026, 1, 7)  # skips 25, 26 Dec and 1 Jan
    assert add_working_days(start, 10, "SCT") == D(2026, 1, 8)  # and 2 Jan too


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(D(2025, 4, 17), D(2025, 4, 22), "ENG") == 1  # Good Friday, weekend, Easter Monday
    assert working_days_between(D(2025, 4, 17), D(2025, 4, 22), "SCT") == 2
    assert working_days_between(D(2025, 4, 22), D(2025, 4, 17), "ENG") == 0
