"""An LA officer refers an overpayment on the National Referral page, fixes every fault, and gets the notice."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from liaison.referrals.models import Referral, Status

EXPECTED_FAULTS = {  # every required field the officer has not filled in (the page fills in LA code and today)
    "cis_checked_on", "customer_name", "address_line_1", "postcode", "nino", "date_of_birth", "la_reference",
    "benefit", "cause", "classification", "reason", "period_from", "period_to", "outstanding_balance",
}


def _fill_date(page, name: str, iso: str) -> None:
    year, month, day = iso.split("-")
    page.fill(f"#{name}-day", str(int(day)))
    page.fill(f"#{name}-month", str(int(month)))
    page.fill(f"#{name}-year", year)


def test_la_officer_refers_an_overpayment_and_gets_the_notice(journey, la_officer, referral_data, award):
    page = journey.page
    data = referral_data(nino="JH 10 20 30 A".replace(" ", ""), outstanding_balance="1234.56")
    award(data["nino"])

    journey.sign_in("la.officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("LA overpayment officer")
    journey.step("home")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Refer an overpayment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer a Housing Benefit overpayment for recovery")
    journey.step("form")

    # On a phone the service navigation folds behind a Menu button (GOV.UK Frontend's script, under the CSP).
    page.set_viewport_size({"width": 390, "height": 844})
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.locator("#navigation")).to_be_hidden()
    menu.click()
    expect(page.locator("#navigation")).to_be_visible()
    journey.step("form-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})

    # "Is this a Civil Penalty?" reveals its follow-up question only when the answer is yes.
    penalty_reference = page.locator("#civil_penalty_overpayment_reference")
    expect(penalty_reference).to_be_hidden()
    page.check("input[name=civil_penalty][value=yes]")
    expect(penalty_reference).to_be_visible()
    page.check("input[name=civil_penalty][value=no]")
    expect(penalty_reference).to_be_hidden()

    # Sent with nothing filled in: every fault at once, in a GOV.UK error summary that links to each field.
    page.get_by_role("button", name="Send referral to DWP Debt Management").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    links = summary.locator(".govuk-error-summary__list a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    fields = {h.removeprefix("#").removesuffix("-day") for h in hrefs}
    assert fields == EXPECTED_FAULTS
    assert page.locator(".govuk-error-message").count() == len(hrefs)
    assert page.locator(".govuk-form-group--error").count() >= len(hrefs)
    journey.step("errors")
    for i, href in enumerate(hrefs):
        target = page.locator(href)
        assert target.count() == 1, f"the error summary links to {href}, which is not on the page"
        assert target.evaluate("el => el.matches('input, select, textarea')"), f"{href} is not a form control"
        links.nth(i).click()
        expect(target).to_be_focused()
        # The field's own error message is tied to it for screen readers.
        group = target.locator("xpath=ancestor::div[contains(@class, 'govuk-form-group--error')][last()]")
        expect(group.locator(".govuk-error-message")).to_have_count(1)

    # Filled in properly.
    page.fill("#la_code", data["la_code"])
    for name in ("referral_date", "cis_checked_on", "date_of_birth", "period_from", "period_to"):
        _fill_date(page, name, data[name])
    for name in ("customer_name", "address_line_1", "address_line_3", "postcode", "nino", "la_reference",
                 "amount_recovered", "outstanding_balance"):
        page.fill(f"#{name}", data[name])
    for name in ("benefit", "civil_penalty", "cause", "classification"):
        page.check(f"input[name={name}][value={data[name]}]")
    page.select_option("#reason", data["reason"])
    journey.step("filled")
    page.get_by_role("button", name="Send referral to DWP Debt Management").click()

    referral = Referral.objects.get(la_reference=data["la_reference"])
    expect(page).to_have_url(journey.url(f"/referrals/{referral.pk}/"))
    assert referral.status == Status.LOADED
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {data['la_reference']}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Loaded for recovery")
    expect(page.locator("main .govuk-tag").first).to_have_text("Loaded for recovery")
    notices = page.locator("table", has=page.get_by_role("columnheader", name="Notice"))
    expect(notices.get_by_role("row").filter(has_text="HBREC")).to_have_count(1)
    timeline = page.locator(".moj-timeline__item")
    assert timeline.count() >= 3
    expect(page.locator(".moj-timeline")).to_contain_text(f"Referral {data['la_reference']} received by web form")
    expect(page.locator(".moj-timeline")).to_contain_text("HBREC issued")
    journey.step("referral")

    # The notice as a page, then as a PDF.
    notices.get_by_role("link", name=re.compile(r"^View")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We will start recovering this overpayment")
    expect(page.locator("main")).to_contain_text(data["la_reference"])
    journey.step("notice")
    page.go_back()
    with page.expect_download() as download_info:
        notices.get_by_role("link", name=re.compile(r"^Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename.startswith("HBREC-") and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
