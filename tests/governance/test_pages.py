"""The governance pages through Django's test client: forms as a person fills them, error summaries, exports
parsed back, and the permission boundary of every page."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from liaison.governance import services
from liaison.governance.models import Contact, Issue, Meeting, Participant

pytestmark = pytest.mark.django_db


def date_post(name, day):
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def world(org, la, la_manager, sla_liaison, dm_contacts, category, sg, dwp, sg_official, dwp_official, today):
    issue = services.issue_raise(kind=Issue.Kind.ISSUE, category=category("PAYMENT_DELAY"),
                                 title="=HYPERLINK(\"http://evil\") payment late", description="May's payment",
                                 concerns=org("DM-FCG"), actor=la_manager,
                                 files=[SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof")])
    action = services.action_add(issue=issue, description="+Check FCG run", owner_name="@Tariq", due_on=today,
                                 actor=sla_liaison)
    agreement = services.agreement_create(reference="SLA-LEEDS", title="SLA", kind="SLA", party_a=org("DM-HQ"),
                                          party_b=la, starts_on=today - dt.timedelta(days=400), actor=sla_liaison)
    variation = services.variation_request(agreement=agreement, title="New mailbox", description="Appendix 8",
                                           actor=sla_liaison)
    notice = services.notice_serve(agreement=agreement, kind="DEFAULT", served_on=today, details="Late",
                                   actor=sla_liaison)
    group = services.group_create(name="JSOG", code="jsog", side_a_org=sg, side_b_org=dwp, actor=sg_official)
    meeting = services.meeting_schedule(group=group, held_on=today, actor=sg_official)
    meeting = services.meeting_record_held(meeting=meeting, actor=sg_official)
    milestone = services.milestone_add(group=group, title="Live", owner_name="DD",
                                       due_on=today + dt.timedelta(days=30), actor=sg_official)
    rnd = services.round_open(title="Charter", purpose="Views", questions=["What matters?"],
                              closes_on=today + dt.timedelta(days=10), actor=sg_official)
    participant, token = services.participant_invite(round=rnd, kind=Participant.Kind.LIVED_EXPERIENCE,
                                                     name="Alex Morgan", email="alex@example.invalid",
                                                     actor=sg_official)
    services.response_submit(participant=participant, answers={rnd.questions.get().pk: "Respect"})
    return {"issue": issue, "action": action, "agreement": agreement, "variation": variation, "notice": notice,
            "group": group, "meeting": meeting, "milestone": milestone, "round": rnd, "token": token,
            "evidence": issue.evidence.get(), "response": participant.responses.get(),
            "contact": dm_contacts["liaison"]}


# --- The permission boundary ------------------------------------------------------------------------------

def detail_pages(w):
    """Every page and endpoint about one record, as (method, url)."""
    i, a, g, m, r = w["issue"].pk, w["agreement"].pk, w["group"].pk, w["meeting"].pk, w["round"].pk
    return [
        ("get", reverse("governance:issue_detail", args=[i])), ("post", reverse("governance:issue_status", args=[i])),
        ("post", reverse("governance:issue_take", args=[i])), ("post", reverse("governance:issue_comment", args=[i])),
        ("post", reverse("governance:issue_action_new", args=[i])),
        ("post", reverse("governance:issue_evidence", args=[i])),
        ("get", reverse("governance:issue_escalate", args=[i])),
        ("get", reverse("governance:evidence_download", args=[w["evidence"].pk])),
        ("post", reverse("governance:action_update", args=[w["action"].pk])),
        ("get", reverse("governance:agreement_detail", args=[a])), ("get", reverse("governance:version_new", args=[a])),
        ("get", reverse("governance:variation_new", args=[a])), ("get", reverse("governance:notice_new", args=[a])),
        ("post", reverse("governance:agreement_talks", args=[a])),
        ("get", reverse("governance:agreement_extend", args=[a])),
        ("post", reverse("governance:variation_act", args=[w["variation"].pk])),
        ("post", reverse("governance:notice_act", args=[w["notice"].pk])),
        ("get", reverse("governance:group_detail", args=[g])), ("get", reverse("governance:member_new", args=[g])),
        ("get", reverse("governance:meeting_new", args=[g])), ("get", reverse("governance:milestone_new", args=[g])),
        ("get", reverse("governance:meeting_detail", args=[m])), ("post", reverse("governance:meeting_act", args=[m])),
        ("get", reverse("governance:minutes_edit", args=[m])),
        ("get", reverse("governance:milestone_update", args=[w["milestone"].pk])),
        ("get", reverse("governance:round_detail", args=[r])), ("post", reverse("governance:round_act", args=[r])),
        ("get", reverse("governance:round_summary", args=[r])),
        ("post", reverse("governance:response_tag", args=[w["response"].pk])),
    ]


def test_another_la_gets_page_not_found_for_everything_that_does_not_concern_it(client, world, other_la_manager):
    client.force_login(other_la_manager)
    for method, url in detail_pages(world):
        response = getattr(client, method)(url, {"act": "agree", "status": "CLOSED", "text": "x"})
        assert response.status_code == 404, (method, url, response.status_code)
    assert Issue.objects.get(pk=world["issue"].pk).status == Issue.Status.OPEN
    for name in ("issue_list", "agreement_list", "group_list", "round_list", "action_list"):
        page = client.get(reverse(f"governance:{name}")).content.decode()
        assert "payment late" not in page and "SLA-LEEDS" not in page and "JSOG" not in page and "Charter" not in page
    rows = list(csv.reader(io.StringIO(b"".join(client.get(reverse("governance:issues_csv")).streaming_content)
                                       .decode())))
    assert rows == [rows[0]]  # the header only


def test_the_parties_reach_what_concerns_them(client, world, la_manager, sla_liaison, sg_official):
    own = {
        la_manager: ["issue_detail", "agreement_detail"],
        sla_liaison: ["issue_detail", "agreement_detail"],
        sg_official: ["group_detail", "meeting_detail", "round_detail"],
    }
    args = {"issue_detail": world["issue"].pk, "agreement_detail": world["agreement"].pk,
            "group_detail": world["group"].pk, "meeting_detail": world["meeting"].pk,
            "round_detail": world["round"].pk}
    for user, names in own.items():
        client.force_login(user)
        for name in names:
            assert client.get(reverse(f"governance:{name}", args=[args[name]])).status_code == 200, (user, name)


def test_signed_out_people_are_sent_to_sign_in_and_people_of_no_party_are_refused(client, world, make_user, la):
    url = reverse("governance:issue_list")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    from liaison.partners.models import User

    nobody = User.objects.create_user(username="nobody", password="correct-horse-battery")
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    assert client.get(reverse("governance:directory")).status_code == 403


def test_only_the_organisation_edits_its_contacts(client, world, la_manager, org):
    client.force_login(la_manager)
    assert client.get(reverse("governance:contact_new", args=["DM-PORTH"])).status_code == 403
    assert client.get(reverse("governance:contact_edit", args=[world["contact"].pk])).status_code == 403
    assert client.post(reverse("governance:contact_check", args=[world["contact"].pk])).status_code == 403
    # Another LA's directory is not even visible to an LA.
    assert client.get(reverse("governance:contacts_org", args=["W06000015"])).status_code == 404
    assert client.get(reverse("governance:contacts_org", args=["DM-PORTH"])).status_code == 200


def test_the_participant_link_is_the_only_way_in_for_participants(client, world):
    assert client.get(reverse("governance:respond", args=["not-a-token"])).status_code == 404
    page = client.get(reverse("governance:respond", args=[world["token"]])).content.decode()
    assert "What matters?" in page and "Respect" in page


# --- Forms as a person fills them -------------------------------------------------------------------------

def test_raising_an_entry_shows_every_fault_then_routes_it(client, la_manager, dm_contacts, today):
    client.force_login(la_manager)
    url = reverse("governance:issue_new")
    page = client.get(url).content.decode()
    assert "Unsatisfactory response by contact agents" in page and "Delays in payment to LAs" in page
    bad = client.post(url, {"title": "", "cases": "C999", "evidence": SimpleUploadedFile("a.exe", b"MZ")})
    html = bad.content.decode()
    assert bad.status_code == 200 and "<title>Error: Raise an entry" in html
    for anchor in ("#kind", "#category", "#title", "#description", "#concerns", "#cases", "#evidence"):
        assert f'href="{anchor}"' in html, anchor
    assert Issue.objects.count() == 0
    good = client.post(url, {"kind": "ISSUE", "category": "UNSATISFACTORY_RESPONSE", "concerns": "DM-HQ",
                             "title": "No call back", "description": "Twice asked.",
                             "evidence": SimpleUploadedFile("call-log.txt", b"10:02 called")})
    issue = Issue.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("governance:issue_detail", args=[issue.pk])
    detail = client.get(good["Location"]).content.decode()
    assert "routed to Bradford agents" in detail and "call-log.txt" in detail and "Contact agent" in detail


def test_escalating_from_the_page_needs_a_reason(client, world, la_manager):
    client.force_login(la_manager)
    url = reverse("governance:issue_escalate", args=[world["issue"].pk])
    page = client.get(url).content.decode()
    assert "Escalate to nominated liaison officer" in page and "Emma Owens" in page
    bad = client.post(url, {"reason": ""}).content.decode()
    assert "There is a problem" in bad and 'href="#reason"' in bad
    assert client.post(url, {"reason": "No answer"}).status_code == 302
    assert Issue.objects.get(pk=world["issue"].pk).level == 2


def test_changing_status_offers_only_the_allowed_choices(client, world, sla_liaison, la_manager):
    client.force_login(sla_liaison)
    url = reverse("governance:issue_detail", args=[world["issue"].pk])
    page = client.get(url).content.decode()
    assert 'value="RESOLVED"' in page and 'value="WITHDRAWN"' not in page  # only Leeds may withdraw
    bad = client.post(reverse("governance:issue_status", args=[world["issue"].pk]), {"status": "RESOLVED"})
    assert "Say how it was resolved" in bad.content.decode()
    client.post(reverse("governance:issue_status", args=[world["issue"].pk]), {"status": "RESOLVED",
                                                                              "note": "Paid on the 3rd"})
    client.force_login(la_manager)
    client.post(reverse("governance:issue_status", args=[world["issue"].pk]), {"status": "CLOSED"})
    assert Issue.objects.get(pk=world["issue"].pk).status == Issue.Status.CLOSED


def test_a_contact_and_an_absence_from_the_pages_change_who_to_contact(client, la, la_manager, today):
    client.force_login(la_manager)
    response = client.post(reverse("governance:contact_new", args=[la.code]),
                           {"duty": "SPOC", "position": "LEAD", "name": "Martin Holt", "email": "m@leeds.invalid"})
    assert response.status_code == 302
    contact = Contact.objects.get(organisation=la)
    bad = client.post(reverse("governance:absence_new", args=[contact.pk]),
                      {"starts_on-day": "31", "starts_on-month": "2", "starts_on-year": "2025"}).content.decode()
    assert 'href="#starts_on-day"' in bad and "must be a real date" in bad and 'href="#ends_on-day"' in bad
    client.post(reverse("governance:absence_new", args=[contact.pk]),
                {**date_post("starts_on", today), **date_post("ends_on", today), "delegate_name": "Ann Lee"})
    who = client.get(reverse("governance:directory"), {"organisation": la.code, "duty": "SPOC",
                                                       **date_post("on", today)}).content.decode()
    assert "Contact Ann Lee" in who and "Delegate" in who


def test_the_notice_page_shows_the_dates_it_computes(client, world, la_manager, today):
    client.force_login(la_manager)
    url = reverse("governance:notice_new", args=[world["agreement"].pk])
    page = client.get(url).content.decode()
    assert f"{(today + dt.timedelta(days=30)):%-d %B %Y}" in page and f"{(today + dt.timedelta(days=90)):%-d %B %Y}" in page
    bad = client.post(url, {"kind": "TERMINATION", "grounds": "DEFAULT", **date_post("served_on", today),
                            "details": "x"}).content.decode()
    assert "first serve a notice of default" in bad
    ok = client.post(url, {"kind": "TERMINATION", "grounds": "OTHER", **date_post("served_on", today),
                           "details": "Ending"})
    assert ok.status_code == 302
    detail = client.get(ok["Location"]).content.decode()
    assert f"Takes effect {(today + dt.timedelta(days=90)):%-d %b %Y}" in detail


def test_variation_agreed_on_the_page_by_the_other_party(client, world, la_manager):
    client.force_login(la_manager)
    client.post(reverse("governance:variation_act", args=[world["variation"].pk]), {"act": "agree"})
    page = client.get(reverse("governance:agreement_detail", args=[world["agreement"].pk])).content.decode()
    assert "Appendix V1: New mailbox" in page and "1 agreed variation to incorporate" in page


def test_minutes_from_the_page(client, world, sg_official, dwp_official):
    meeting = world["meeting"]
    client.force_login(dwp_official)
    assert client.get(reverse("governance:minutes_edit", args=[meeting.pk])).status_code == 403  # not the chair's side
    client.force_login(sg_official)
    bad = client.post(reverse("governance:minutes_edit", args=[meeting.pk]), {"text": ""}).content.decode()
    assert 'href="#text"' in bad and "Enter the minutes" in bad
    client.post(reverse("governance:minutes_edit", args=[meeting.pk]), {"text": "1. Updates"})
    refused = client.post(reverse("governance:meeting_act", args=[meeting.pk]), {"act": "circulate"}).content.decode()
    assert "must be cleared by both sides" in refused
    client.post(reverse("governance:meeting_act", args=[meeting.pk]), {"act": "clear"})
    client.force_login(dwp_official)
    client.post(reverse("governance:meeting_act", args=[meeting.pk]), {"act": "clear"})
    client.post(reverse("governance:meeting_act", args=[meeting.pk]), {"act": "circulate"})
    assert Meeting.objects.get(pk=meeting.pk).minutes_status == Meeting.MinutesStatus.CIRCULATED


def test_a_slipping_milestone_on_the_page_asks_for_the_exception_report(client, world, sg_official, today):
    client.force_login(sg_official)
    url = reverse("governance:milestone_update", args=[world["milestone"].pk]) + f"?meeting={world['meeting'].pk}"
    bad = client.post(url, {"status": "AT_RISK", "meeting": world["meeting"].pk}).content.decode()
    assert 'href="#exception_reason"' in bad and 'href="#exception_revised_due_on-day"' in bad
    ok = client.post(url, {"status": "AT_RISK", "meeting": world["meeting"].pk, "exception_reason": "IT late",
                           "exception_impact": "A month", "exception_mitigation": "Clerical route",
                           **date_post("exception_revised_due_on", today + dt.timedelta(days=60))})
    assert ok.status_code == 302 and ok["Location"] == reverse("governance:meeting_detail", args=[world["meeting"].pk])


def test_the_participant_answers_on_their_page(client, world):
    url = reverse("governance:respond", args=[world["token"]])
    question = world["round"].questions.get()
    bad = client.post(url, {f"answer-{question.pk}": ""}).content.decode()
    assert "Answer at least one question" in bad
    ok = client.post(url, {f"answer-{question.pk}": "Being listened to"}).content.decode()
    assert "Your answers have been saved" in ok


# --- Exports ----------------------------------------------------------------------------------------------

def test_the_issues_log_exports_as_csv_and_excel_formula_safe(client, world, la_manager):
    client.force_login(la_manager)
    response = client.get(reverse("governance:issues_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["Reference", "Kind", "Category", "Title"]
    assert rows[1][0] == world["issue"].reference and rows[1][3].startswith("'=HYPERLINK")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(client.get(reverse("governance:issues_xlsx")).streaming_content)))
    sheet = book.active
    cell = sheet.cell(row=2, column=4)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"  # text, never a formula
    assert sheet.cell(row=2, column=1).value == world["issue"].reference


def test_the_actions_export_as_csv_and_excel(client, world, la_manager):
    client.force_login(la_manager)
    rows = list(csv.reader(io.StringIO(b"".join(client.get(reverse("governance:actions_csv")).streaming_content)
                                       .decode())))
    assert rows[1][0] == world["action"].reference and rows[1][2] == "'+Check FCG run" and rows[1][3] == "'@Tariq"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(client.get(reverse("governance:actions_xlsx")).streaming_content)))
    values = [c.value for c in book.active[2]]
    assert values[0] == world["action"].reference and values[2] == "+Check FCG run"


def test_evidence_downloads_for_the_parties_and_is_recorded(client, world, sla_liaison):
    client.force_login(sla_liaison)
    response = client.get(reverse("governance:evidence_download", args=[world["evidence"].pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 proof"
    assert 'filename="proof.pdf"' in response["Content-Disposition"]
    from liaison.governance.models import HistoryEntry

    assert HistoryEntry.objects.filter(kind="issue.evidence_downloaded").count() == 1


def test_the_navigation_offers_governance_to_the_roles_that_use_it(client, world, la_officer, la_manager, sg_official):
    client.force_login(la_officer)
    nav = client.get(reverse("governance:directory")).content.decode()
    assert ">Contacts<" in nav and ">Issues log<" in nav and ">Agreements<" not in nav
    client.force_login(la_manager)
    nav = client.get(reverse("governance:directory")).content.decode()
    assert ">Agreements<" in nav and ">Meetings<" in nav
    client.force_login(sg_official)
    nav = client.get(reverse("governance:directory")).content.decode()
    assert ">Engagement<" in nav and ">Referrals<" not in nav
