"""Casework journeys in the browser, each page checked with axe: an LA sends a change of circumstances (an appeal),
a CCG agent actions it from the work queue, and the LA sees the effect and the notice and records the outcome; a
complaint is forwarded to the LA, which asks for the debt's sequence of events and downloads it once supplied.

(The journeys post no ledger entries: on SQLite the live server's database is emptied between tests by DELETE,
which the ledger's immutability triggers refuse. Every kind of change is exercised by the service and page tests.)"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from liaison.casework.models import ChangeOfCircumstances, Complaint, SoeRequest
from liaison.recovery.models import Suspension
from tests.recovery.conftest import loaded_debt  # noqa: F401 (a fixture: a debt made through the referral pipeline)


def _fill_date(page, name: str, day: dt.date) -> None:
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def _switch_to(journey, username: str) -> None:
    journey.page.get_by_role("button", name="Sign out").click()
    journey.page.wait_for_load_state("load")
    journey.sign_in(username, step=None)


def test_la_sends_a_change_an_agent_actions_it_and_the_la_sees_the_effect_and_the_notice(
        journey, loaded_debt, la_officer, ccg_agent):  # noqa: F811
    page = journey.page
    debt = loaded_debt(balance="250.00")
    today = timezone.localdate()

    journey.sign_in("la.officer")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Casework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casework with DWP Debt Management")
    journey.step("la-casework")
    page.get_by_role("link", name="Tell DM about a change of circumstances").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell DM about a change of circumstances")
    journey.step("change-form")

    page.get_by_label("Customer's name").fill(debt.debtor_name)
    page.get_by_label("National Insurance number").fill(debt.nino)
    page.get_by_label("Your reference for the overpayment").fill(debt.la_reference)
    page.get_by_label("Customer has appealed or disputed the overpayment decision").check()
    page.get_by_label("Details").fill("Appeal lodged with the tribunal")
    _fill_date(page, "la_told_on", today + dt.timedelta(days=2))
    page.get_by_label("Your name").fill("Priya Shah")
    page.get_by_role("button", name="Send to DM").click()
    # A date in the future is refused at its field; nothing is sent.
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Date your overpayment team was told cannot be in the future"])
    summary.get_by_role("link").click()
    expect(page.locator("#la_told_on-day")).to_be_focused()
    expect(page.get_by_label("Customer has appealed or disputed the overpayment decision")).to_be_checked()
    journey.step("change-future-date")
    assert not ChangeOfCircumstances.objects.exists()

    _fill_date(page, "la_told_on", today)
    page.get_by_role("button", name="Send to DM").click()
    change = ChangeOfCircumstances.objects.get()
    expect(page).to_have_url(journey.url(f"/casework/changes/{change.pk}/"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("sent to CCG Bradford")
    expect(page.locator("main .govuk-tag").first).to_have_text("Waiting for DM to action it")
    journey.step("change-sent")

    _switch_to(journey, "ccg.agent")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Casework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queues")
    journey.step("queue-index")
    page.get_by_role("link", name="CCG Bradford", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CCG Bradford work queue")
    row = page.locator("table tbody tr", has_text=debt.la_reference)
    expect(row).to_contain_text("Customer has appealed")
    expect(row).to_contain_text("Nobody")
    # The MOJ sortable table is working: its headings are buttons that sort.
    due = page.get_by_role("columnheader", name="Due")
    expect(due).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("button", name="Due").click()
    expect(due).to_have_attribute("aria-sort", "descending")
    journey.step("queue")

    row.get_by_role("button", name=re.compile("^Assign to me")).click()
    expect(page.locator("table tbody tr", has_text=debt.la_reference)).to_contain_text(ccg_agent.display_name)
    page.get_by_label("Assigned to me").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".moj-filter__selected")).to_contain_text("Assigned to me")
    journey.step("queue-mine")

    page.locator("table tbody tr", has_text=debt.la_reference).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change of circumstances {change.reference}")
    journey.step("change-for-agent")
    page.get_by_role("link", name="Action this change").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text("Recovery is suspended from today")
    journey.step("action")
    page.get_by_role("button", name="Action the change").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("actioned")
    assert Suspension.objects.get(debt=debt).ends is None

    _switch_to(journey, "la.officer")
    journey.go(f"/casework/changes/{change.pk}/")
    status = "Recovery suspended until the LA records the appeal's outcome"
    expect(page.locator("main .govuk-tag").first).to_have_text(status)
    expect(page.locator(".govuk-inset-text").first).to_contain_text("Recovery suspended from")
    expect(page.locator(".moj-timeline")).to_contain_text("COCACT issued")
    journey.step("la-sees-the-effect")
    page.get_by_role("link", name=re.compile("^View COCACT")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We have suspended recovery while the customer's appeal is decided")
    page.go_back()

    page.get_by_role("link", name="Record the appeal's outcome").click()
    amount = page.get_by_label("How much was the overpayment reduced by?")
    expect(amount).to_be_hidden()
    page.get_by_label("Overpayment reduced: the debt is lowered and recovery resumes").check()
    expect(amount).to_be_visible()  # the amount is asked for only when the overpayment was reduced
    journey.step("outcome-form")
    page.get_by_label("Overpayment decision upheld: the debt stands and recovery resumes").check()
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("recorded and applied")
    expect(page.locator("main .govuk-tag").first).to_have_text("Appeal outcome applied")
    journey.step("outcome-applied")
    assert Suspension.objects.get(debt=debt).ends == timezone.localdate()


def test_a_complaint_is_forwarded_and_the_la_downloads_the_sequence_of_events(
        journey, loaded_debt, la_officer, ccg_agent):  # noqa: F811
    page = journey.page
    debt = loaded_debt()
    today = timezone.localdate()

    journey.sign_in("ccg.agent")
    journey.go("/casework/complaints/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a complaint or MP enquiry")
    journey.step("complaint-form")
    page.get_by_label("Debt reference or the customer's National Insurance number").fill(debt.reference)
    page.get_by_label("MP enquiry").check()
    page.get_by_label("Who made it?").fill("Alex Sobel MP (Leeds Central and Headingley)")
    _fill_date(page, "received_on", today)
    page.get_by_label("Letter").check()
    page.get_by_label("What does it say?").fill("Asks why deductions were taken while the customer was in hospital.")
    page.get_by_role("button", name="Record it").click()
    complaint = Complaint.objects.get()
    expect(page).to_have_url(journey.url(f"/casework/complaints/{complaint.pk}/"))
    journey.step("complaint-recorded")
    page.get_by_role("link", name="Forward to the LA").click()
    page.get_by_label("Note for the LA (optional)").fill("The customer was told Leeds will reply.")
    journey.step("complaint-forward")
    page.get_by_role("button", name="Forward to the LA").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Forwarded to Leeds")
    expect(page.locator("main .govuk-tag").first).to_have_text("Forwarded to the LA")

    _switch_to(journey, "la.officer")
    journey.go("/casework/complaints/")
    row = page.locator("table tbody tr", has_text=debt.la_reference)
    expect(row).to_contain_text("MP enquiry")
    journey.step("la-complaints")
    row.get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("in hospital")
    expect(page.locator("main")).to_contain_text("COMPLAINT N")
    page.get_by_role("link", name="Ask for a sequence of events").click()
    expect(page.get_by_label("Your reference for the overpayment")).to_have_value(debt.la_reference)
    journey.step("soe-form")
    page.get_by_label("Why do you need it? (optional)").fill("To reply to the MP")
    page.get_by_role("button", name="Ask for it").click()
    request = SoeRequest.objects.get()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("CCG Bradford will supply it by")
    journey.step("soe-asked")

    _switch_to(journey, "ccg.agent")
    journey.go("/casework/queues/DM-CCG-BRADFORD/")
    page.locator("table tbody tr", has_text="Sequence of events").get_by_role("link").click()
    page.get_by_role("button", name="Supply it to the LA").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sequence of events supplied")
    journey.step("soe-supplied")

    _switch_to(journey, "la.officer")
    journey.go(f"/casework/sequence-of-events/{request.pk}/")
    expect(page.locator("main .govuk-tag").first).to_have_text("Supplied")
    journey.step("soe-ready")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the sequence of events (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"sequence-of-events-{request.reference}.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
