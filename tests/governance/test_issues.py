"""The shared issues log: routing by category, escalation one level at a time, status rules, evidence, scoping."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from liaison.core.errors import ApplicationError
from liaison.governance import selectors, services
from liaison.governance.history import history_of
from liaison.governance.models import Action, Evidence, HistoryEntry, Issue, Level
from liaison.notices.models import OutboxMessage

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def raise_issue(la_manager, org, category, dm_contacts):
    def make(**overrides):
        data = {"kind": Issue.Kind.ISSUE, "category": category("UNSATISFACTORY_RESPONSE"), "title": "No call back",
                "description": "We asked twice.", "concerns": org("DM-HQ"), "actor": la_manager, "now": NOW}
        data.update(overrides)
        return services.issue_raise(**data)
    return make


def pdf(name="evidence.pdf", size=None):
    body = b"%PDF-1.4\n" + b"x" * ((size or 100) - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def test_an_entry_is_routed_by_its_category_to_the_acting_contact(raise_issue, org, ccg_agent):
    issue = raise_issue()
    # Unsatisfactory response by contact agents: first to the agents at the CCG site named on Leeds' notices.
    assert issue.level == Level.CONTACT_AGENT
    assert issue.routed_to_org == org("DM-CCG-BRADFORD") and issue.routed_to_duty == "CASE_ENQUIRIES"
    assert issue.routed_to_email == "bradford@dwp.invalid"
    assert issue.owner == ccg_agent  # the contact's Liaison account owns it
    assert OutboxMessage.objects.filter(to="bradford@dwp.invalid", notice=None).exists()
    assert [e.kind for e in history_of(issue)] == ["issue.routed", "issue.raised"]


def test_sla_compliance_goes_first_to_cc_porths_referral_manager_or_the_spoc(raise_issue, category, org):
    issue = raise_issue(category=category("SLA_COMPLIANCE"))
    assert issue.routed_to_org == org("DM-PORTH")
    # Porth names no referral manager here, and no SPoC: nobody is named, the mailbox is used.
    assert issue.routed_to_email == org("DM-PORTH").intake_email


def test_escalation_goes_one_level_at_a_time_with_a_reason(raise_issue, la_manager, org, porth_officer):
    issue = raise_issue()
    with pytest.raises(ApplicationError) as refused:
        services.issue_escalate(issue=issue, reason="  ", actor=la_manager, now=NOW)
    assert "Say why" in refused.value.extra["faults"]["reason"]
    issue = services.issue_escalate(issue=issue, reason="No answer in a week", actor=la_manager, now=NOW)
    assert issue.level == Level.LIAISON_OFFICER
    assert (issue.routed_to_org, issue.routed_to_name, issue.owner) == (org("DM-PORTH"), "Emma Owens", porth_officer)
    issue = services.issue_escalate(issue=issue, reason="Still no answer", actor=la_manager, now=NOW)
    assert issue.level == Level.NATIONAL and issue.routed_to_name == "Julie Thompson"
    escalations = HistoryEntry.objects.filter(kind="issue.escalated", object_id=issue.pk).order_by("id")
    assert [(e.data["from"], e.data["to"], e.data["reason"]) for e in escalations] == [
        (1, 2, "No answer in a week"), (2, 3, "Still no answer")]


def test_escalation_to_the_joint_senior_group_needs_a_group_of_both_parties(raise_issue, la_manager, sla_liaison,
                                                                          org, la):
    issue = raise_issue()
    for reason in ("one", "two"):
        issue = services.issue_escalate(issue=issue, reason=reason, actor=la_manager, now=NOW)
    with pytest.raises(ApplicationError) as refused:
        services.issue_escalate(issue=issue, reason="three", actor=la_manager, now=NOW)
    assert "No governance group includes both parties" in refused.value.message
    assert Issue.objects.get(pk=issue.pk).level == Level.NATIONAL
    group = services.group_create(name="National liaison", code="dm-la-national", side_a_org=org("DM-HQ"),
                                  side_b_org=la, actor=sla_liaison, now=NOW)
    issue = services.issue_escalate(issue=issue, reason="three", actor=la_manager, now=NOW)
    assert issue.level == Level.JOINT_GROUP and issue.group == group and issue.owner is None
    with pytest.raises(ApplicationError) as top:
        services.issue_escalate(issue=issue, reason="four", actor=la_manager, now=NOW)
    assert "highest level" in top.value.extra["faults"]["reason"]


def test_a_closed_entry_cannot_be_escalated_or_reopened(raise_issue, la_manager, ccg_agent):
    issue = raise_issue()
    services.issue_set_status(issue=issue, status=Issue.Status.RESOLVED, note="Called back.", actor=ccg_agent, now=NOW)
    services.issue_set_status(issue=issue, status=Issue.Status.CLOSED, actor=la_manager, now=NOW)
    with pytest.raises(ApplicationError) as refused:
        services.issue_escalate(issue=issue, reason="why not", actor=la_manager, now=NOW)
    assert "only an open entry" in refused.value.message
    with pytest.raises(ApplicationError) as again:
        services.issue_set_status(issue=issue, status=Issue.Status.IN_PROGRESS, actor=la_manager, now=NOW)
    assert "This entry is closed, so it cannot become in progress" in again.value.message


def test_only_the_side_that_raised_an_entry_closes_or_withdraws_it(raise_issue, la_manager, ccg_agent):
    issue = raise_issue()
    with pytest.raises(ApplicationError) as refused:
        services.issue_set_status(issue=issue, status=Issue.Status.WITHDRAWN, actor=ccg_agent, now=NOW)
    assert "Only Leeds, who raised this entry, can withdraw it" in refused.value.message
    with pytest.raises(ApplicationError) as no_note:
        services.issue_set_status(issue=issue, status=Issue.Status.RESOLVED, actor=ccg_agent, now=NOW)
    assert no_note.value.extra["faults"] == {"note": "Say how it was resolved"}
    services.issue_set_status(issue=issue, status=Issue.Status.RESOLVED, note="Done", actor=ccg_agent, now=NOW)
    services.issue_set_status(issue=issue, status=Issue.Status.IN_PROGRESS, note="Not fixed after all",
                              actor=la_manager, now=NOW)  # reopened
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.IN_PROGRESS


def test_every_fault_is_reported_and_nothing_is_recorded(la_manager, dm_contacts):
    with pytest.raises(ApplicationError) as refused:
        services.issue_raise(kind="GRUMBLE", category=None, title="", description="", concerns=None,
                             case_references=["C0000999"], files=[SimpleUploadedFile("x.exe", b"MZ")],
                             actor=la_manager, now=NOW)
    assert set(refused.value.extra["faults"]) == {"kind", "category", "title", "description", "concerns", "cases",
                                                  "evidence"}
    assert Issue.objects.count() == 0 and Evidence.objects.count() == 0 and HistoryEntry.objects.count() == 5


def test_linked_cases_must_belong_to_a_party(raise_issue, la, other_la):
    from liaison.core.models import Case

    mine = Case.objects.create(la=la, opened_at=NOW)
    theirs = Case.objects.create(la=other_la, opened_at=NOW)
    with pytest.raises(ApplicationError) as refused:
        raise_issue(case_references=[mine.reference, theirs.reference])
    assert theirs.reference in refused.value.extra["faults"]["cases"]
    issue = raise_issue(case_references=[mine.reference])
    assert list(issue.cases.all()) == [mine]


@pytest.mark.parametrize("upload, fault", [
    (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "big.pdf must be smaller than 10MB"),
    (SimpleUploadedFile("macro.xlsm", b"PK\x03\x04"), "macro.xlsm must be a PDF"),
    (SimpleUploadedFile("fake.pdf", b"<html>not a pdf</html>"), "fake.pdf is not a real PDF file"),
    (SimpleUploadedFile("empty.txt", b""), "empty.txt is empty"),
    (SimpleUploadedFile("binary.txt", b"abc\x00def"), "binary.txt must be a text file"),
])
def test_evidence_files_are_limited_by_size_and_type(raise_issue, upload, fault):
    with pytest.raises(ApplicationError) as refused:
        raise_issue(files=[upload])
    assert refused.value.extra["faults"]["evidence"].startswith(fault)
    assert Issue.objects.count() == 0 and Evidence.objects.count() == 0


def test_evidence_is_kept_with_its_hash_and_on_the_history(raise_issue, ccg_agent):
    issue = raise_issue(files=[pdf()])
    [evidence] = issue.evidence.all()
    assert evidence.original_name == "evidence.pdf" and evidence.size_bytes == 100 and len(evidence.sha256) == 64
    services.evidence_add(issue=issue, files=[SimpleUploadedFile("note.txt", b"Call log")], actor=ccg_agent, now=NOW)
    assert issue.evidence.count() == 2
    assert HistoryEntry.objects.filter(kind="issue.evidence_added", object_id=issue.pk).count() == 2


def test_each_side_sees_only_the_entries_that_concern_it(raise_issue, la_manager, other_la_manager, la_officer,
                                                         sla_liaison, ccg_agent, porth_officer, sg_official, org):
    issue = raise_issue()
    assert list(selectors.issues_for(la_officer)) == [issue]           # same LA
    assert list(selectors.issues_for(sla_liaison)) == [issue]          # DM-wide
    assert list(selectors.issues_for(ccg_agent)) == [issue]            # routed to Bradford
    assert list(selectors.issues_for(porth_officer)) == []             # not yet Porth's
    assert list(selectors.issues_for(other_la_manager)) == []
    assert list(selectors.issues_for(sg_official)) == []
    with pytest.raises(ApplicationError) as refused:
        services.issue_comment(issue=issue, text="Me too", actor=other_la_manager, now=NOW)
    assert refused.value.status == 404
    services.issue_escalate(issue=issue, reason="No reply", actor=la_manager, now=NOW)
    assert list(selectors.issues_for(porth_officer)) == [issue]        # now routed to Porth


def test_an_owner_must_be_at_a_party(raise_issue, la_manager, other_la_manager, sla_liaison):
    issue = raise_issue()
    with pytest.raises(ApplicationError):
        services.issue_assign(issue=issue, owner=other_la_manager, actor=la_manager, now=NOW)
    services.issue_assign(issue=issue, owner=sla_liaison, actor=sla_liaison, now=NOW)
    assert Issue.objects.get(pk=issue.pk).owner == sla_liaison


def test_actions_have_owners_and_due_dates_and_are_tracked_to_completion(raise_issue, ccg_agent, la_manager):
    issue = raise_issue()
    with pytest.raises(ApplicationError) as refused:
        services.action_add(issue=issue, description="", owner_name="", due_on=TODAY - dt.timedelta(days=1),
                            actor=ccg_agent, now=NOW)
    assert set(refused.value.extra["faults"]) == {"description", "owner_name", "due_on"}
    action = services.action_add(issue=issue, description="Call the LA", owner_name="Tariq", due_on=TODAY,
                                 actor=ccg_agent, now=NOW)
    assert action.is_overdue(TODAY + dt.timedelta(days=1)) and not action.is_overdue(TODAY)
    services.action_complete(action=action, note="Called", actor=ccg_agent, now=NOW + dt.timedelta(days=2))
    action.refresh_from_db()
    assert action.status == Action.Status.DONE and action.completed_on == TODAY + dt.timedelta(days=2)
    with pytest.raises(ApplicationError):
        services.action_complete(action=action, actor=la_manager, now=NOW)
    assert "after its due date" in history_of(issue).first().summary
