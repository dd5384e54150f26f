"""Partnership working in the browser, by the people who do it: the issues log, the directory, the agreement,
a governance meeting and an engagement round. Each key page is checked with axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from liaison.governance import services
from liaison.governance.models import (
    Agreement,
    AgreementNotice,
    Contact,
    Duty,
    EngagementRound,
    Issue,
    Meeting,
    Milestone,
    Variation,
)
from liaison.notices.models import OutboxMessage
from liaison.partners.models import Organisation, Role


@pytest.fixture
def people(make_user, refdata):
    org = {o.code: o for o in Organisation.objects.filter(code__in=["E08000035", "DM-PORTH", "DM-CCG-BRADFORD",
                                                                      "DM-HQ", "SG", "DWP-POLICY"])}
    return {
        "la.manager": make_user(Role.LA_MANAGER, org["E08000035"], "la.manager"),
        "sla.liaison": make_user(Role.SLA_LIAISON, org["DM-PORTH"], "sla.liaison"),
        "ccg.agent": make_user(Role.CCG_AGENT, org["DM-CCG-BRADFORD"], "ccg.agent"),
        "sg.official": make_user("", org["SG"], "sg.official"),
        "dwp.official": make_user("", org["DWP-POLICY"], "dwp.official"),
        "org": org,
    }


def sign_out(journey):
    journey.page.get_by_role("button", name="Sign out").click()
    journey.page.wait_for_load_state("load")


def fill_date(page, name, day):
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def nav(page, label):
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=label).click()


def test_an_la_raises_an_issue_escalates_it_and_dm_resolves_it(journey, people):
    page = journey.page
    services.contact_create(organisation=people["org"]["DM-CCG-BRADFORD"], duty=Duty.CASE_ENQUIRIES,
                            name="Bradford agents", email="bradford@dwp.invalid", user=people["ccg.agent"],
                            actor=people["sla.liaison"])
    services.contact_create(organisation=people["org"]["DM-PORTH"], duty=Duty.SLA_LIAISON, name="Emma Owens",
                            email="emma@dwp.invalid", user=people["sla.liaison"], actor=people["sla.liaison"])

    journey.sign_in("la.manager")
    nav(page, "Issues log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issues log")
    page.get_by_role("link", name="Raise an entry").click()
    page.get_by_role("button", name="Raise entry").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Select a category")
    journey.step("issue-errors")

    page.get_by_label("Issue", exact=True).check()
    page.get_by_label("Unsatisfactory response by contact agents").check()
    page.get_by_label("The party it concerns").select_option(label="DWP Debt Management")
    page.get_by_label("Title").fill("No call back about a deduction rate")
    page.get_by_label("Description").fill("We asked twice for a call back and heard nothing.")
    page.set_input_files("#evidence", files=[{"name": "call-log.txt", "mimeType": "text/plain",
                                              "buffer": b"10:02 called Bradford"}])
    page.get_by_role("button", name="Raise entry").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("routed to Bradford agents")
    expect(page.locator("main")).to_contain_text("call-log.txt")
    journey.step("issue-raised")

    page.get_by_role("link", name="Escalate to nominated liaison officer").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text("Emma Owens")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator("#reason-error")).to_contain_text("Say why")
    page.get_by_label("Why it cannot be resolved at this level").fill("Two weeks without an answer.")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator(".moj-timeline")).to_contain_text("Escalated from contact agent to nominated liaison officer")
    journey.step("issue-escalated")
    issue = Issue.objects.get()
    assert issue.level == 2 and issue.owner == people["sla.liaison"]

    sign_out(journey)
    journey.sign_in("sla.liaison", step=None)
    journey.go(f"/issues/{issue.pk}/")
    page.get_by_text("Add an action").click()
    page.get_by_label("Action", exact=True).fill("Call Leeds back about the rate")
    page.get_by_label("Who will do it").fill("Emma Owens")
    fill_date(page, "due_on", timezone.localdate() + dt.timedelta(days=3))
    page.get_by_role("button", name="Add action").click()
    expect(page.locator("#actions + table")).to_contain_text("Call Leeds back")
    page.get_by_label("Resolved").check()
    page.get_by_label("Note").fill("Called back; the rate is explained in the HBREC notice.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Status changed to resolved")
    journey.step("issue-resolved")
    assert Issue.objects.get().status == Issue.Status.RESOLVED


def test_an_la_names_its_contacts_and_a_delegate_covers_an_absence(journey, people):
    page = journey.page
    today = timezone.localdate()
    journey.sign_in("la.manager")
    nav(page, "Contacts")
    journey.step("directory")
    page.get_by_role("link", name="Leeds").click()
    page.get_by_role("link", name="Add a contact").click()
    page.get_by_label("Single point of contact (SPoC)").check()
    page.get_by_label("Named contact", exact=True).check()
    page.get_by_label("Name", exact=True).fill("Martin Holt")
    page.get_by_label("Email address").fill("martin.holt@leeds.invalid")
    page.get_by_role("button", name="Add contact").click()
    expect(page.locator("main table").first).to_contain_text("Martin Holt")
    journey.step("contacts")

    page.get_by_role("link", name="Record an absence for Martin Holt").click()
    fill_date(page, "starts_on", today)
    fill_date(page, "ends_on", today - dt.timedelta(days=1))
    page.get_by_role("button", name="Record absence").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("same as or after the first day")
    journey.step("absence-error")
    fill_date(page, "ends_on", today + dt.timedelta(days=7))
    page.locator("#delegate_name").fill("Ann Lee")
    page.locator("#delegate_email").fill("ann.lee@leeds.invalid")
    page.get_by_role("button", name="Record absence").click()
    expect(page.locator("main")).to_contain_text("Ann Lee")

    nav(page, "Contacts")
    page.get_by_label("Organisation").select_option(label="Leeds")
    page.get_by_label("Single point of contact (SPoC)").check()
    page.get_by_role("button", name="Find the contact").click()
    expect(page.locator("#answer")).to_contain_text("Contact Ann Lee")
    expect(page.locator("#answer")).to_contain_text("Martin Holt is away")
    journey.step("who-to-contact")
    assert Contact.objects.filter(name="Martin Holt", absences__delegate_name="Ann Lee").exists()


def test_an_agreement_is_varied_by_both_parties_and_a_default_is_notified(journey, people):
    page = journey.page
    today = timezone.localdate()
    journey.sign_in("sla.liaison")
    nav(page, "Agreements")
    page.get_by_role("link", name="Set up an agreement").click()
    page.get_by_label("Reference").fill("SLA-E08000035")
    page.get_by_label("Title").fill("Recovery of Housing Benefit overpayments: Leeds")
    page.get_by_label("Service Level Agreement").check()
    page.get_by_label("Your organisation").select_option(label="DWP Debt Management")
    page.get_by_label("The other party").select_option(label="Leeds")
    fill_date(page, "starts_on", dt.date(today.year - 2, 4, 1))
    page.get_by_role("button", name="Set up agreement").click()
    expires = dt.date(today.year + 1, 3, 31)
    expect(page.locator("main")).to_contain_text(f"{expires.day} March {expires.year}")
    journey.step("agreement")

    page.get_by_role("link", name="Request a variation").click()
    page.get_by_label("Title").fill("Referrals through the API")
    page.get_by_label("The change").fill("Section 7.1: referrals may also be made through the API.")
    page.get_by_role("button", name="Request variation").click()
    expect(page.locator("#variations ~ .govuk-summary-card")).to_contain_text("waiting for Leeds")

    sign_out(journey)
    journey.sign_in("la.manager", step=None)
    agreement = Agreement.objects.get()
    journey.go(f"/agreements/{agreement.pk}/")
    page.get_by_role("button", name="Agree this variation").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("documented as Appendix V1")
    journey.step("variation-agreed")

    page.get_by_role("link", name="Serve a notice of default").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        f"{(today + dt.timedelta(days=30)).day} {(today + dt.timedelta(days=30)):%B %Y}")
    page.get_by_label("Notice of default").check()
    fill_date(page, "served_on", today)
    page.get_by_label("Details").fill("Repayments for two months were paid late.")
    journey.step("notice-form")
    page.get_by_role("button", name="Serve notice").click()
    remedy = today + dt.timedelta(days=30)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"remedied by {remedy.day} {remedy:%B %Y}")
    expect(page.locator("#notices + p + table")).to_contain_text(f"Remedy by {remedy.day} {remedy:%b %Y}")
    journey.step("notice-served")
    assert Variation.objects.get().status == Variation.Status.AGREED
    assert AgreementNotice.objects.get().deadline == remedy


def test_the_chairs_side_drafts_minutes_both_clear_them_and_a_slipping_milestone_is_reported(journey, people):
    page = journey.page
    today = timezone.localdate()
    sg, dwp = people["org"]["SG"], people["org"]["DWP-POLICY"]
    group = services.group_create(name="Joint Senior Officials Group", code="jsog", side_a_org=sg, side_b_org=dwp,
                                  actor=people["sg.official"])
    services.group_member_add(group=group, side="A", name="Director of Social Security", email="dss@gov.scot.invalid",
                              can_chair=True, actor=people["sg.official"])
    services.milestone_add(group=group, title="Referral routes live", owner_name="Devolution Director",
                           due_on=today + dt.timedelta(days=20), actor=people["sg.official"])

    journey.sign_in("sg.official")
    nav(page, "Meetings")
    page.get_by_role("link", name="Joint Senior Officials Group").click()
    page.get_by_role("link", name="Schedule a meeting").click()
    fill_date(page, "held_on", today)
    page.get_by_label("Where (optional)").fill("Edinburgh")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.locator("main dl").first).to_contain_text("Scottish Government")
    page.get_by_role("button", name="Record that the meeting was held").click()
    page.get_by_role("link", name="Draft the minutes").click()
    page.get_by_label("Minutes").fill("1. Programme update.\n2. Milestones reviewed.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Clear the minutes for your side").click()
    expect(page.locator("#minutes + dl")).to_contain_text("Cleared by Scottish Government")
    journey.step("minutes-cleared-by-one-side")

    page.get_by_role("link", name="Review Referral routes live").click()
    page.get_by_label("Expected to slip", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("An exception report is needed")
    journey.step("exception-report-needed")
    page.get_by_label("Why is it expected to slip?").fill("The IT change is late.")
    page.get_by_label("What is the impact?").fill("Referrals stay clerical for a month.")
    page.get_by_label("What is being done about it?").fill("A clerical workaround.")
    fill_date(page, "exception_revised_due_on", today + dt.timedelta(days=50))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#milestones ~ table").first).to_contain_text("Expected to slip")

    sign_out(journey)
    journey.sign_in("dwp.official", step=None)
    meeting = Meeting.objects.get()
    journey.go(f"/meetings/{meeting.pk}/")
    expect(page.get_by_role("link", name="Draft the minutes")).to_have_count(0)  # not the chair's side
    page.get_by_role("button", name="Clear the minutes for your side").click()
    page.get_by_role("button", name="Circulate the minutes").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Minutes circulated")
    journey.step("minutes-circulated")
    meeting.refresh_from_db()
    assert meeting.minutes_status == Meeting.MinutesStatus.CIRCULATED
    assert Milestone.objects.get().exception_reports.count() == 1
    assert OutboxMessage.objects.filter(to="dss@gov.scot.invalid", subject__startswith="Minutes").exists()


def test_an_engagement_round_gathers_views_and_shares_a_summary_that_names_nobody(journey, people):
    page = journey.page
    today = timezone.localdate()
    journey.sign_in("sg.official")
    nav(page, "Engagement")
    page.get_by_role("link", name="Open a round").click()
    page.get_by_label("Title").fill("Designing the charter")
    page.get_by_label("What the round is for").fill("What should the charter say?")
    page.get_by_label("Questions").fill("What should it promise?\nHow should it read?")
    fill_date(page, "closes_on", today + dt.timedelta(days=14))
    page.get_by_role("button", name="Open round").click()
    page.get_by_label("Person with experience of social security").check()
    page.get_by_label("Name", exact=True).fill("Alex Morgan")
    page.get_by_label("Email address").fill("alex@example.invalid")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Participant 1 invited")
    journey.step("round")

    link = re.search(r"(/engagement/respond/[^/\s]+/)", OutboxMessage.objects.get(to="alex@example.invalid").body)
    sign_out(journey)
    journey.go(link.group(1))
    journey.step("respond")
    page.get_by_label("1. What should it promise?").fill("Dignity and respect.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Thank you")

    journey.sign_in("sg.official", step=None)
    rnd = EngagementRound.objects.get()
    journey.go(f"/engagement/{rnd.pk}/")
    page.get_by_label("Themes for Participant 1's answer to question 1").fill("Dignity")
    page.get_by_role("button", name="Save themes for Participant 1, question 1").click()
    page.get_by_role("button", name="Close the round to responses").click()
    page.get_by_label("Summary for participants").fill("Alex Morgan wanted dignity.")
    page.get_by_role("button", name="Publish and send to participants").click()
    expect(page.locator("#summary-error")).to_contain_text("identities must be protected")
    journey.step("summary-refused")
    page.get_by_label("Summary for participants").fill("Participant 1 wanted dignity and respect.")
    page.get_by_role("button", name="Publish and send to participants").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Summary published")
    page.get_by_role("link", name="See the summary as participants see it").click()
    expect(page.locator("main")).to_contain_text("Dignity")
    expect(page.locator("main")).not_to_contain_text("Alex Morgan")
    journey.step("summary")
