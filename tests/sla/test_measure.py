"""Measuring each standard from the timeline: which events start and stop its clock, its limit, its calendar,
who is responsible; and refreshing (incremental, idempotent, recomputed as of a past day)."""

import datetime as dt

import pytest

from liaison.core.models import Event
from liaison.partners.models import Organisation
from liaison.sla.measure import measurements_refresh
from liaison.sla.models import Measurement, RefreshRun, Summary

pytestmark = pytest.mark.django_db
D = dt.date


def one(code, **filters) -> Measurement:
    return Measurement.objects.get(standard__code=code, **filters)


def snapshot():
    items = sorted(Measurement.objects.values_list(
        "standard__code", "start_event_id", "stop_event_id", "case_id", "la_id", "site_id", "calendar", "month",
        "start_on", "stop_on", "limit", "local_target", "due_on", "working_days", "failed"))
    summary = sorted(Summary.objects.values_list("standard_id", "la_id", "site_key", "month", "stop_month",
                                                 "days", "items", "met"))
    return items, summary


def test_referral_standards(standards, timeline, la, porth_org):
    """Received Tuesday 2 April 2024; queued; loaded Monday 22 April; HBREC issued Friday 26 April."""
    case = timeline.referral(la, "2024-04-02 10:00", decided="2024-04-22 11:00", notice="2024-04-26 09:00")
    measurements_refresh(as_of=D(2024, 5, 31))
    ref_input, outcome, response = one("REF-INPUT"), one("REF-OUTCOME"), one("REF-RESPONSE")
    # REF-INPUT: received -> loaded; 10 working days from 2 April is 16 April; it took 14
    assert (ref_input.start_on, ref_input.stop_on, ref_input.due_on, ref_input.working_days) == (
        D(2024, 4, 2), D(2024, 4, 22), D(2024, 4, 16), 14)
    assert ref_input.site_id == porth_org.pk and ref_input.case_id == case.pk and ref_input.calendar == "ENG"
    # REF-OUTCOME: loaded -> notice (4 working days), due 10 working days after loading
    assert (outcome.start_on, outcome.stop_on, outcome.due_on, outcome.working_days) == (
        D(2024, 4, 22), D(2024, 4, 26), D(2024, 5, 7), 4)  # 6 May is a bank holiday
    # REF-RESPONSE: received -> notice, 20 working days
    assert (response.stop_on, response.due_on, response.working_days) == (D(2024, 4, 26), D(2024, 4, 30), 18)
    quality = one("REF-QUALITY")
    assert quality.failed is False and quality.site_id is None and quality.due_on is None


def test_a_returned_referral_runs_its_outcome_clock_from_receipt(standards, timeline, la):
    case = timeline.referral(la, "2024-04-02 10:00", outcome="returned", decided="2024-04-10 10:00",
                             notice="2024-04-17 10:00")
    measurements_refresh(as_of=D(2024, 5, 31))
    outcome = one("REF-OUTCOME", case_id=case.pk)
    assert (outcome.start_on, outcome.stop_on, outcome.working_days, outcome.due_on) == (
        D(2024, 4, 2), D(2024, 4, 17), 11, D(2024, 4, 16))
    assert one("REF-INPUT", case_id=case.pk).stop_on == D(2024, 4, 10)


def test_a_not_loaded_referral_stops_input_and_outcome(standards, timeline, la):
    case = timeline.referral(la, "2024-04-02 10:00", outcome="not_loaded")
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-INPUT", case_id=case.pk).working_days == 0
    assert one("REF-OUTCOME", case_id=case.pk).stop_on == D(2024, 4, 2)


def test_a_queued_referral_has_no_outcome_clock_yet(standards, timeline, la):
    case = timeline.referral(la, "2024-04-02 10:00", outcome="queued")
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-INPUT", case_id=case.pk).stop_on is None
    assert one("REF-RESPONSE", case_id=case.pk).stop_on is None
    assert not Measurement.objects.filter(standard__code="REF-OUTCOME", case_id=case.pk).exists()


def test_quality_fails_a_non_quality_return_only(standards, timeline, la):
    bad = timeline.referral(la, "2024-04-02 10:00", outcome="non_quality")
    no_benefit = timeline.referral(la, "2024-04-02 10:00", outcome="returned")
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-QUALITY", case_id=bad.pk).failed is True
    assert one("REF-QUALITY", case_id=no_benefit.pk).failed is False


def test_changes_of_circumstances_pair_by_their_id(standards, timeline, la, site):
    case = timeline.case(la, "2024-01-10 10:00")
    timeline.event(case, "coc.received", "2024-05-01 10:00", org=site, la_told_on="2024-04-25", coc_id=1)
    timeline.event(case, "coc.received", "2024-05-02 10:00", org=site, la_told_on="2024-05-02", coc_id=2)
    timeline.event(case, "coc.actioned", "2024-05-03 10:00", org=site, coc_id=2)   # the second first
    timeline.event(case, "coc.actioned", "2024-05-24 10:00", org=site, coc_id=1)
    measurements_refresh(as_of=D(2024, 5, 31))
    first, second = Measurement.objects.filter(standard__code="COC-ACTION").order_by("start_event_id")
    assert (first.stop_on, first.working_days, first.due_on) == (D(2024, 5, 24), 16, D(2024, 5, 16))
    assert (second.stop_on, second.working_days) == (D(2024, 5, 3), 1)
    assert first.site_id == site.pk  # the site that actioned it
    notify = Measurement.objects.filter(standard__code="COC-NOTIFY").order_by("start_event_id")
    assert [(m.start_on, m.stop_on, m.working_days, m.site_id) for m in notify] == [
        (D(2024, 4, 25), D(2024, 5, 1), 4, None), (D(2024, 5, 2), D(2024, 5, 2), 0, None)]


def test_complaints_and_sequences_of_events_pair_in_order(standards, timeline, la, site):
    case = timeline.case(la, "2024-01-10 10:00")
    for when in ("2024-06-03 09:00", "2024-06-04 09:00"):
        timeline.event(case, "complaint.received", when, org=site)
    timeline.event(case, "complaint.forwarded", "2024-06-05 09:00", org=site)
    timeline.event(case, "soe.requested", "2024-06-10 09:00", org=la)
    timeline.event(case, "soe.supplied", "2024-06-20 09:00", org=site)
    measurements_refresh(as_of=D(2024, 6, 30))
    first, second = Measurement.objects.filter(standard__code="COMPLAINT-FWD").order_by("start_event_id")
    assert (first.stop_on, first.working_days, first.limit, first.due_on) == (D(2024, 6, 5), 2, 3, D(2024, 6, 6))
    assert second.stop_on is None and second.due_on == D(2024, 6, 7)
    soe = one("SOE")
    assert (soe.working_days, soe.due_on, soe.site_id) == (8, D(2024, 6, 19), site.pk)


def test_rec_end_starts_when_identified(standards, timeline, la, site):
    paid = timeline.case(la, "2024-01-10 10:00")
    timeline.event(paid, "debt.paid_in_full", "2024-06-03 06:00", org=site)
    timeline.event(paid, "notice.issued", "2024-06-03 06:00", org=site, code="HBPIF")
    stopped = timeline.case(la, "2024-01-10 10:00")
    timeline.event(stopped, "notice.issued", "2024-01-10 10:00", org=site, code="HBREC")
    timeline.event(stopped, "debt.recovery_stopped", "2024-06-20 10:00", org=site, identified_on="2024-06-03")
    timeline.event(stopped, "notice.issued", "2024-06-20 10:00", org=site, code="LARET")
    measurements_refresh(as_of=D(2024, 6, 30))
    assert one("REC-END", case_id=paid.pk).working_days == 0
    late = one("REC-END", case_id=stopped.pk)
    assert (late.start_on, late.stop_on, late.due_on, late.working_days) == (
        D(2024, 6, 3), D(2024, 6, 20), D(2024, 6, 17), 13)


def test_pay_is_due_by_the_end_of_the_next_month(standards, timeline, la, refdata):
    fcg = Organisation.objects.get(code="DM-FCG")
    for month, paid_on in (("2024-04-01", "2024-05-31"), ("2024-05-01", "2024-07-01"), ("2024-06-01", None)):
        timeline.event(None, "remittance.created", f"{month[:8]}28 06:00", la=la, month=month, org=fcg)
        if paid_on:
            timeline.event(None, "remittance.paid", f"{paid_on} 15:00", la=la, month=month, paid_on=paid_on, org=fcg)
    measurements_refresh(as_of=D(2024, 8, 15))
    april, may, june = Measurement.objects.filter(standard__code="PAY").order_by("month")
    assert (april.start_on, april.due_on, april.stop_on) == (D(2024, 4, 30), D(2024, 5, 31), D(2024, 5, 31))
    assert april.stop_on <= april.due_on  # met, on the last day
    assert (may.due_on, may.stop_on) == (D(2024, 6, 30), D(2024, 7, 1))  # a day late
    assert (june.start_on, june.due_on, june.stop_on, june.case_id) == (D(2024, 6, 30), D(2024, 7, 31), None, None)
    assert {m.site_id for m in (april, may, june)} == {fcg.pk}


def test_refreshing_twice_changes_nothing(standards, timeline, la, site):
    timeline.referral(la, "2024-04-02 10:00", decided="2024-04-22 11:00")
    timeline.referral(la, "2024-04-03 10:00", outcome="non_quality")
    measurements_refresh(as_of=D(2024, 5, 31))
    before = snapshot()
    run = measurements_refresh(as_of=D(2024, 5, 31))
    assert snapshot() == before and not run.full
    assert measurements_refresh(as_of=D(2024, 5, 31), full=True).full and snapshot() == before


def test_incremental_refresh_measures_only_new_events_and_agrees_with_a_full_one(standards, timeline, la, site):
    old = timeline.referral(la, "2024-04-02 10:00", outcome="queued")
    measurements_refresh(as_of=D(2024, 5, 31))
    first = RefreshRun.objects.get()
    assert first.full
    # the queued referral is decided, a new one arrives, and a change comes in on the old case
    timeline.event(old, "referral.loaded", "2024-05-02 10:00", org=timeline.porth)
    timeline.referral(la, "2024-05-03 10:00")
    run = measurements_refresh(as_of=D(2024, 5, 31))
    assert not run.full and run.counts["measurements"]["scope_cases"] == 2
    assert one("REF-INPUT", case_id=old.pk).stop_on == D(2024, 5, 2)
    incremental = snapshot()
    measurements_refresh(as_of=D(2024, 5, 31), full=True)
    assert snapshot() == incremental


def test_recomputed_for_a_past_day_it_shows_things_as_they_stood(standards, timeline, la):
    case = timeline.referral(la, "2024-04-02 10:00", outcome="queued")
    timeline.event(case, "referral.loaded", "2024-04-25 10:00", org=timeline.porth)
    timeline.event(case, "notice.issued", "2024-04-25 10:00", org=timeline.porth, code="HBREC")
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-INPUT").stop_on == D(2024, 4, 25)
    run = measurements_refresh(as_of=D(2024, 4, 20))  # earlier than the last: recomputed from scratch
    assert run.full
    assert one("REF-INPUT").stop_on is None
    assert not Measurement.objects.filter(standard__code="REF-OUTCOME").exists()
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-INPUT").stop_on == D(2024, 4, 25)


def test_an_event_committed_late_below_the_watermark_is_still_measured(standards, timeline, la):
    """A transaction that took its event ids before the last refresh but committed after it: the margin below
    the watermark reads it again."""
    measurements_refresh(as_of=D(2024, 5, 31))
    case = timeline.referral(la, "2024-04-02 10:00", outcome="queued")
    late = Event.objects.filter(case=case).order_by("id").first()
    RefreshRun.objects.update(max_event_id=late.pk + 50)  # as if the last run had read past these ids
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("REF-INPUT", case_id=case.pk).stop_on is None


def test_data_that_is_not_a_date_is_ignored_not_fatal(standards, timeline, la, site):
    case = timeline.case(la, "2024-01-10 10:00")
    timeline.event(case, "coc.received", "2024-05-01 10:00", org=site, la_told_on="last Tuesday", coc_id=1)
    measurements_refresh(as_of=D(2024, 5, 31))
    assert one("COC-NOTIFY").start_on == D(2024, 5, 1)  # the day the form arrived, for want of a date


def test_the_watermark_margin_covers_a_bulk_file_written_behind():
    """An incremental refresh re-reads WATERMARK_MARGIN event ids below the last run's highest, for transactions
    that had taken ids but not committed. Written behind (ADR 0016), a chunk's rows naming the chunk before take
    their events' ids after the next chunk's first write: up to four events a referral of a whole chunk, plus
    the few rows that waited. The margin must cover that, or a late commit is seen only by the nightly run."""
    from liaison.referrals import bulk
    from liaison.sla.measure import WATERMARK_MARGIN

    events_per_referral = 4  # received, validated, outcome, notice issued
    assert WATERMARK_MARGIN > events_per_referral * bulk.CHUNK_ROWS * 1.2
