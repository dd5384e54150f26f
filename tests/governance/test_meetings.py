"""Governance groups: quarterly meetings, the alternating chair, minutes within a week, milestones and exceptions."""

import datetime as dt

import pytest

from liaison.core.errors import ApplicationError
from liaison.governance import selectors, services
from liaison.governance.models import ExceptionReport, Meeting, Milestone, MilestoneReview
from liaison.notices.models import OutboxMessage

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def jsog(sg, dwp, sg_official, dwp_official):
    group = services.group_create(name="Joint Senior Officials Group", code="jsog", side_a_org=sg, side_b_org=dwp,
                                  secretariat_email="secretariat@gov.scot.invalid", actor=sg_official,
                                  now=at(2024, 12, 1))
    services.group_member_add(group=group, side="A", name="Director of Social Security", email="dss@gov.scot.invalid",
                              deputy_name="DD Policy", deputy_email="dd@gov.scot.invalid", can_chair=True,
                              actor=sg_official, now=NOW)
    services.group_member_add(group=group, side="B", name="Devolution Director", email="dd@dwp.invalid",
                              can_chair=True, actor=dwp_official, now=NOW)
    return group


def held(group, day, actor, chair=None):
    meeting = services.meeting_schedule(group=group, held_on=day, chair_side=chair, actor=actor, now=at(2024, 12, 2))
    return services.meeting_record_held(meeting=meeting, actor=actor, now=at(day.year, day.month, day.day, 17))


def test_the_chair_alternates_between_the_two_sides(jsog, sg_official, dwp_official):
    first = held(jsog, dt.date(2025, 1, 15), sg_official)
    assert first.chair_side == "A"
    with pytest.raises(ApplicationError) as refused:
        services.meeting_schedule(group=jsog, held_on=dt.date(2025, 4, 1), chair_side="A", actor=sg_official, now=NOW)
    assert "DWP Devolution Programme chairs the meeting on 1 April 2025" in refused.value.extra["faults"]["chair_side"]
    second = services.meeting_schedule(group=jsog, held_on=dt.date(2025, 4, 1), actor=sg_official, now=NOW)
    assert second.chair_side == "B"
    assert Meeting.objects.filter(group=jsog).count() == 2


def test_a_meeting_is_due_at_least_quarterly(jsog, sg_official):
    assert services.next_meeting_due_on(jsog) == dt.date(2025, 3, 1)  # three months after the group was set up
    held(jsog, dt.date(2024, 11, 30), sg_official)
    assert services.next_meeting_due_on(jsog) == dt.date(2025, 2, 28)


def test_a_meeting_is_held_only_on_or_after_its_date(jsog, sg_official):
    meeting = services.meeting_schedule(group=jsog, held_on=dt.date(2025, 3, 20), actor=sg_official, now=NOW)
    with pytest.raises(ApplicationError, match="on or after that day"):
        services.meeting_record_held(meeting=meeting, actor=sg_official, now=NOW)


def test_minutes_are_drafted_by_the_chairs_side_cleared_by_both_and_circulated(jsog, sg_official, dwp_official):
    meeting = held(jsog, dt.date(2025, 3, 3), sg_official)  # chaired by SG
    with pytest.raises(ApplicationError, match="drafted by Scottish Government"):
        services.minutes_draft(meeting=meeting, text="DWP's version", actor=dwp_official, now=NOW)
    services.minutes_draft(meeting=meeting, text="1. Updates", actor=sg_official, now=NOW)
    with pytest.raises(ApplicationError, match="waiting for Scottish Government and DWP Devolution Programme"):
        services.minutes_circulate(meeting=meeting, actor=sg_official, now=NOW)
    services.minutes_clear(meeting=meeting, actor=dwp_official, now=NOW)
    with pytest.raises(ApplicationError, match="has already cleared"):
        services.minutes_clear(meeting=meeting, actor=dwp_official, now=NOW)
    # A redraft needs clearing again by both sides.
    services.minutes_draft(meeting=meeting, text="1. Updates\n2. AOB", actor=sg_official, now=NOW)
    meeting.refresh_from_db()
    assert meeting.cleared_b_at is None and meeting.minutes_status == Meeting.MinutesStatus.DRAFT
    services.minutes_clear(meeting=meeting, actor=dwp_official, now=NOW)
    meeting = services.minutes_clear(meeting=meeting, actor=sg_official, now=NOW)
    assert meeting.minutes_status == Meeting.MinutesStatus.CLEARED
    with pytest.raises(ApplicationError, match="cannot become draft"):
        services.minutes_draft(meeting=meeting, text="late change", actor=sg_official, now=NOW)
    meeting = services.minutes_circulate(meeting=meeting, actor=sg_official, now=at(2025, 3, 10))
    assert meeting.minutes_status == Meeting.MinutesStatus.CIRCULATED and meeting.minutes_due_on == dt.date(2025, 3, 10)
    sent = set(OutboxMessage.objects.filter(subject__startswith="Minutes:").values_list("to", flat=True))
    assert sent == {"dss@gov.scot.invalid", "dd@gov.scot.invalid", "dd@dwp.invalid", "secretariat@gov.scot.invalid"}
    entry = meeting_history(meeting)[0]
    assert "within the week (due by 10 March 2025)" in entry.summary and entry.data["late"] is False


def meeting_history(meeting):
    from liaison.governance.history import history_of

    return list(history_of(meeting))


def test_minutes_circulated_after_a_week_are_recorded_as_late(jsog, sg_official, dwp_official):
    meeting = held(jsog, dt.date(2025, 3, 3), sg_official)
    services.minutes_draft(meeting=meeting, text="Minutes", actor=sg_official, now=NOW)
    services.minutes_clear(meeting=meeting, actor=sg_official, now=NOW)
    services.minutes_clear(meeting=meeting, actor=dwp_official, now=NOW)
    services.minutes_circulate(meeting=meeting, actor=dwp_official, now=at(2025, 3, 12))
    entry = meeting_history(meeting)[0]
    assert entry.data["late"] is True and "2 days late (due by 10 March 2025)" in entry.summary


def test_a_milestone_expected_to_slip_needs_an_exception_report(jsog, sg_official, dwp_official):
    meeting = held(jsog, dt.date(2025, 3, 3), sg_official)
    milestone = services.milestone_add(group=jsog, title="Referral routes live", owner_name="Devolution Director",
                                       due_on=dt.date(2025, 4, 30), actor=sg_official, now=NOW)
    with pytest.raises(ApplicationError) as refused:
        services.milestone_update(milestone=milestone, status=Milestone.Status.AT_RISK, meeting=meeting,
                                  actor=dwp_official, now=NOW)
    assert set(refused.value.extra["faults"]) == {"exception_reason", "exception_impact", "exception_mitigation",
                                                  "exception_revised_due_on"}
    with pytest.raises(ApplicationError) as earlier:
        services.milestone_update(milestone=milestone, status=Milestone.Status.AT_RISK, meeting=meeting,
                                  actor=dwp_official, now=NOW, exception={
                                      "reason": "IT late", "impact": "A month", "mitigation": "Clerical route",
                                      "revised_due_on": dt.date(2025, 4, 1)})
    assert "must be after the due date, 30 April 2025" in earlier.value.extra["faults"]["exception_revised_due_on"]
    assert ExceptionReport.objects.count() == 0 and Milestone.objects.get(pk=milestone.pk).status == "NOT_STARTED"
    services.milestone_update(milestone=milestone, status=Milestone.Status.AT_RISK, meeting=meeting,
                              actor=dwp_official, now=NOW, exception={
                                  "reason": "IT late", "impact": "A month", "mitigation": "Clerical route",
                                  "revised_due_on": dt.date(2025, 5, 31)})
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.AT_RISK and milestone.forecast_on == dt.date(2025, 5, 31)
    assert MilestoneReview.objects.get(meeting=meeting, milestone=milestone).status == Milestone.Status.AT_RISK
    services.milestone_update(milestone=milestone, status=Milestone.Status.COMPLETE, actor=dwp_official, now=NOW)
    with pytest.raises(ApplicationError, match="This milestone is complete"):
        services.milestone_update(milestone=milestone, status=Milestone.Status.ON_TRACK, actor=dwp_official, now=NOW)


def test_members_are_added_to_their_own_side_only(jsog, sg_official):
    with pytest.raises(ApplicationError) as refused:
        services.group_member_add(group=jsog, side="B", name="Someone", actor=sg_official, now=NOW)
    assert refused.value.extra["faults"]["side"] == "You can add members to your own side only"


def test_only_the_groups_organisations_see_it(jsog, sg_official, la_manager, sla_liaison):
    assert list(selectors.groups_for(sg_official)) == [jsog]
    for outsider in (la_manager, sla_liaison):
        assert list(selectors.groups_for(outsider)) == []
        with pytest.raises(ApplicationError) as refused:
            services.meeting_schedule(group=jsog, held_on=dt.date(2025, 4, 1), actor=outsider, now=NOW)
        assert refused.value.status == 404
