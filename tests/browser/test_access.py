"""The boundaries a person meets in the browser: another authority's case, and too many wrong passwords."""

from __future__ import annotations

from playwright.sync_api import expect

from liaison.notices.models import Notice
from liaison.referrals.models import Channel, Referral
from liaison.referrals.services import referrals_receive


def test_an_officer_of_another_authority_gets_page_not_found_for_a_case(journey, la, la_officer,
                                                                        other_la_officer, referral_data, award):
    page = journey.page
    data = referral_data()
    award(data["nino"])
    referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=la_officer)
    referral = Referral.objects.get(la_reference=data["la_reference"])
    notice = Notice.objects.get(case=referral.case)

    journey.sign_in("other.la.officer")
    expect(page.locator(".liaison-user-bar")).to_contain_text("Cardiff")
    journey.step("home")
    for what, path in (("referral", f"/referrals/{referral.pk}/"), ("notice", f"/notices/{notice.pk}/"),
                       ("notice-pdf", f"/notices/{notice.pk}/pdf/")):
        journey.expect_console_error(r"status of 404")
        response = journey.go(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.locator("body")).not_to_contain_text(data["customer_name"])
        expect(page.locator("body")).not_to_contain_text(data["la_reference"])
        journey.step(f"not-found-{what}")

    # Nor does the case show in their lists.
    journey.go("/referrals/")
    expect(page.locator("main")).to_contain_text("No referrals match.")
    journey.step("their-referrals")


def test_five_wrong_passwords_lock_the_sign_in(journey, la_officer):
    page = journey.page
    for attempt in range(1, 6):
        journey.go("/sign-in/")
        page.get_by_label("User name").fill("la.officer")
        page.get_by_label("Password").fill(f"wrong-password-{attempt}")
        if attempt == 5:
            journey.expect_console_error(r"status of 429")
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign in").click()
        if attempt == 1:
            expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct user name and password")
            journey.step("wrong-password")
    assert navigation.value.status == 429  # Too Many Requests
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts to sign in")
    journey.step("locked-out")

    # Even the right password is refused now.
    journey.expect_console_error(r"status of 429")
    journey.sign_in("la.officer", step=None)
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts to sign in")
    journey.step("still-locked-out")
