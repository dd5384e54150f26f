"""Service standards in the browser: DM's SLA liaison officer reads the dashboard, drills down to the breaches,
records a reason and a local target (a laxer one is refused); an LA manager sees only their own authority's
figures and its year-end statement. Each key page is checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from liaison.partners.models import Organisation, Role
from liaison.sla.measure import measurements_refresh
from tests.sla.conftest import Timeline

MAY = "period=2024-05&as_of=2024-05-31"


@pytest.fixture
def performance(refdata, make_user, la, other_la):
    """Leeds in May 2024: one referral loaded at once, one loaded late (11 working days), one still queued past
    its due date; Cardiff: one loaded at once."""
    timeline = Timeline()
    cases = {
        "quick": timeline.referral(la, "2024-05-01 10:00"),
        "late": timeline.referral(la, "2024-05-01 10:00", decided="2024-05-17 10:00"),
        "stuck": timeline.referral(la, "2024-05-01 10:00", outcome="queued"),
        "cardiff": timeline.referral(other_la, "2024-05-01 10:00"),
    }
    measurements_refresh(as_of=dt.date(2024, 5, 31))
    make_user(Role.SLA_LIAISON, Organisation.objects.get(code="DM-PORTH"), "sla.liaison")
    make_user(Role.LA_MANAGER, la, "la.manager")
    return cases


def test_sla_liaison_reads_the_dashboard_drills_down_and_records_a_reason_and_a_target(journey, performance):
    page = journey.page
    journey.sign_in("sla.liaison")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Performance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Service standards")
    journey.step("dashboard-today")

    journey.go(f"/sla/?{MAY}")
    row = page.locator('tr[data-standard="REF-INPUT"]')
    expect(row.locator('[data-figure="measured"]')).to_have_text("4 measured for REF-INPUT")
    expect(row.locator('[data-figure="breached"]')).to_have_text("2 breached for REF-INPUT")
    expect(row.locator('[data-figure="percent_met"]')).to_have_text("50.0%")
    expect(page.get_by_role("img", name="REF-INPUT: percentage met by month, SLA year 2024/25")).to_be_visible()
    journey.step("dashboard-may")

    row.get_by_role("link", name="2 breached for REF-INPUT").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("REF-INPUT: breached")
    items = page.locator("#items tbody tr")
    expect(items).to_have_count(2)
    expect(page.locator("#items")).to_contain_text(performance["late"].reference)
    expect(page.locator("#items")).to_contain_text(performance["stuck"].reference)
    journey.step("breached")

    items.filter(has_text=performance["stuck"].reference).get_by_role("link", name="Record the reason").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reason for the breach of REF-INPUT")
    journey.step("reason")
    page.get_by_role("button", name="Record the reason").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the breach")
    journey.step("reason-missing")
    page.get_by_label("Why was the standard not met?").fill("The benefit register was unavailable")
    page.get_by_role("button", name="Record the reason").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Reason recorded")
    expect(page.locator("#items")).to_contain_text("The benefit register was unavailable")
    journey.step("reason-recorded")

    page.locator(".moj-sub-navigation").get_by_role("link", name="Local targets").click()
    page.get_by_role("button", name="Record a local target").click()
    page.get_by_label("Local Authority", exact=True).select_option(label="Leeds")
    page.get_by_label("REF-INPUT: Referral input onto Debt Manager").check()
    page.get_by_label("Local target").fill("12")
    for name, (day, month, year) in (("effective_from", ("1", "4", "2024")), ("agreed_on", ("20", "3", "2024"))):
        page.locator(f"#{name}-day").fill(day)
        page.locator(f"#{name}-month").fill(month)
        page.locator(f"#{name}-year").fill(year)
    page.get_by_label("Agreed for the Local Authority by").fill("Priya Shah, Benefits Manager")
    page.get_by_label("Where the agreement is documented").fill("Liaison meeting minutes, 20 March 2024")
    page.get_by_role("button", name="Record the local target").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be stricter than the national standard")
    journey.step("target-refused")
    page.get_by_label("Local target").fill("7")
    page.get_by_role("button", name="Record the local target").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Local target for REF-INPUT recorded")
    expect(page.locator("#targets")).to_contain_text("7 working days")
    journey.step("targets")


def test_an_la_manager_sees_only_their_authority_and_its_statement(journey, performance):
    page = journey.page
    journey.sign_in("la.manager")
    journey.go(f"/sla/?{MAY}&la=W06000015")
    expect(page.locator(".govuk-caption-l").first).to_have_text("Leeds")
    expect(page.locator('tr[data-standard="REF-INPUT"] [data-figure="measured"]')).to_have_text(
        "3 measured for REF-INPUT")
    expect(page.locator("main")).not_to_contain_text("Cardiff")
    journey.step("la-dashboard")

    page.locator(".moj-sub-navigation").get_by_role("link", name="Year-end statement").click()
    page.get_by_label("SLA year").select_option(label="2024/25")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Leeds: SLA year 2024/25")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the statement (PDF)").click()
    assert download.value.suggested_filename == "sla-statement-E08000035-2024-2025.pdf"
    journey.step("statement")

    page.locator(".moj-sub-navigation").get_by_role("link", name="Quality referral log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality referral log")
    journey.step("quality")
    page.locator(".moj-sub-navigation").get_by_role("link", name="At risk and breaches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("At risk and breaches")
    journey.step("queue")
