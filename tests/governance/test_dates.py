"""The date rules, on fixed dates: month ends, leap years, year ends."""

import datetime as dt

import pytest

from liaison.governance import dates

D = dt.date


@pytest.mark.parametrize("served, remedy_by", [
    (D(2025, 3, 10), D(2025, 4, 9)),
    (D(2025, 1, 31), D(2025, 3, 2)),      # across a short February
    (D(2024, 1, 31), D(2024, 3, 1)),      # ... and a leap February
    (D(2024, 12, 15), D(2025, 1, 14)),    # across the year end
])
def test_a_default_must_be_remedied_within_30_days_of_the_notice(served, remedy_by):
    assert dates.remedy_deadline(served) == remedy_by


@pytest.mark.parametrize("served, effective", [
    (D(2025, 3, 10), D(2025, 6, 8)),
    (D(2024, 1, 1), D(2024, 3, 31)),      # 2024 is a leap year: 31 + 29 + 30 days
    (D(2025, 1, 1), D(2025, 4, 1)),       # 2025 is not: 31 + 28 + 31 days
    (D(2025, 11, 30), D(2026, 2, 28)),
])
def test_termination_takes_effect_90_days_after_service(served, effective):
    assert dates.termination_effective(served) == effective


@pytest.mark.parametrize("meeting, due", [
    (D(2025, 3, 10), D(2025, 3, 17)),
    (D(2025, 2, 25), D(2025, 3, 4)),
    (D(2024, 2, 25), D(2024, 3, 3)),      # leap year
    (D(2025, 12, 29), D(2026, 1, 5)),
])
def test_minutes_are_due_one_week_after_the_meeting(meeting, due):
    assert dates.minutes_due(meeting) == due


@pytest.mark.parametrize("last, due", [
    (D(2025, 1, 15), D(2025, 4, 15)),
    (D(2024, 11, 30), D(2025, 2, 28)),    # month end clamps
    (D(2023, 11, 30), D(2024, 2, 29)),    # ... to the leap day
    (D(2025, 5, 31), D(2025, 8, 31)),
    (D(2025, 8, 31), D(2025, 11, 30)),
    (D(2025, 10, 31), D(2026, 1, 31)),    # across the year end
])
def test_the_next_meeting_is_due_within_a_quarter(last, due):
    assert dates.next_meeting_due(last) == due


@pytest.mark.parametrize("expiry, talks", [
    (D(2017, 3, 31), D(2016, 9, 30)),     # the SLA of 1 April 2014: 31 March less 6 months clamps to 30 Sep
    (D(2025, 8, 31), D(2025, 2, 28)),
    (D(2024, 8, 29), D(2024, 2, 29)),     # leap year
    (D(2026, 1, 15), D(2025, 7, 15)),     # across the year end
])
def test_extension_talks_start_6_months_before_expiry(expiry, talks):
    assert dates.extension_talks_from(expiry) == talks


@pytest.mark.parametrize("start, end", [
    (D(2014, 4, 1), D(2017, 3, 31)),      # the SLA's own dates
    (D(2024, 2, 29), D(2027, 2, 28)),     # a 3-year term from the leap day ends the day before 1 March 2027
    (D(2023, 3, 1), D(2026, 2, 28)),
    (D(2025, 1, 1), D(2027, 12, 31)),
])
def test_the_term_is_three_years(start, end):
    assert dates.term_end(start) == end


def test_a_directory_entry_is_due_for_review_a_year_after_it_was_checked():
    assert dates.review_due(D(2024, 3, 10)) == D(2025, 3, 10)
    assert dates.review_due(D(2024, 2, 29)) == D(2025, 3, 1)  # a whole year has passed on 1 March


def test_add_months_goes_both_ways():
    assert dates.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert dates.add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert dates.add_months(D(2025, 1, 15), -13) == D(2023, 12, 15)
