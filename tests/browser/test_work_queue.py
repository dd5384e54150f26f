"""A CC Porth officer takes a referral the data could not decide from the work queue, and decides it."""

from __future__ import annotations

from playwright.sync_api import expect

from liaison.referrals.models import Channel, QueueReason, Referral, Status
from liaison.referrals.services import referrals_receive


def test_porth_officer_assigns_and_decides_a_queued_referral(journey, la, la_officer, porth_officer, referral_data,
                                                           award):
    page = journey.page
    first = referral_data()
    award(first["nino"])
    near = dict(first, la_reference="LDS/NEAR/1", outstanding_balance="77.70")  # same period, another balance
    for data in (first, near):
        referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=la_officer)
    queued = Referral.objects.get(la_reference="LDS/NEAR/1")
    assert queued.status == Status.QUEUED and queued.queue_reason == QueueReason.POSSIBLE_DUPLICATE

    journey.sign_in("porth.officer")
    expect(page.get_by_role("link", name="1 referral waiting in the CC Porth work queue")).to_be_visible()
    journey.step("home")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Work queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CC Porth work queue")
    row = page.locator("table tbody tr", has_text="LDS/NEAR/1")
    expect(row).to_contain_text(queued.get_queue_reason_display())
    expect(row).to_contain_text("Nobody")
    journey.step("queue")

    row.get_by_role("link", name="LDS/NEAR/1").click()
    expect(page).to_have_url(journey.url(f"/referrals/{queued.pk}/"))
    expect(page.locator("main .govuk-tag").first).to_have_text("Waiting for a CC Porth officer")
    journey.step("referral")

    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("button", name="Assigned to you")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Assigned to {porth_officer.display_name}.")
    queued.refresh_from_db()
    assert queued.assigned_to == porth_officer
    journey.step("assigned")

    page.get_by_role("link", name="Decide this referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decide this referral")
    journey.step("decide")

    # A decision without reasons is refused, saying so at the field.
    page.get_by_label("Load for recovery").check()
    page.get_by_role("button", name="Record decision").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Give the reasons for your decision"])
    expect(page.locator("#reasons-error")).to_contain_text("Give the reasons for your decision")
    expect(page.get_by_label("Load for recovery")).to_be_checked()  # the choice made is kept
    summary.get_by_role("link").click()
    expect(page.locator("#reasons")).to_be_focused()
    journey.step("no-reasons")
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED

    page.get_by_label("Reasons").fill("A second, separate overpayment period: the LA confirmed by phone.")
    page.get_by_role("button", name="Record decision").click()
    expect(page).to_have_url(journey.url("/queue/"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Decision recorded")
    expect(page.locator("main")).to_contain_text("Nothing is waiting.")
    journey.step("decided")

    queued.refresh_from_db()
    assert queued.status == Status.LOADED and queued.decided_by == porth_officer
    journey.go(f"/referrals/{queued.pk}/")
    expect(page.locator("main .govuk-tag").first).to_have_text("Loaded for recovery")
    expect(page.locator("main")).to_contain_text("A second, separate overpayment period")
    expect(page.get_by_role("link", name="Decide this referral")).to_have_count(0)
    expect(page.locator(".moj-timeline")).to_contain_text("HBREC issued")
    journey.step("result")
