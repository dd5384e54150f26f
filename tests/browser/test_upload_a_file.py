"""An LA officer sends many referrals in one CSV file, watches it being processed, and reads the faults by row."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from liaison.referrals.models import ImportBatch, Referral, Status
from liaison.referrals.tasks import process_import
from liaison.referrals.validation import COLUMNS

FORMULA = "=cmd|' /C calc'!A0"


def _csv(rows: list[dict], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(page, name: str, content: bytes) -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.get_by_role("button", name="Upload and check").click()


def test_la_officer_uploads_a_file_of_referrals_and_reads_the_faults_by_row(journey, la_officer, referral_data,
                                                                            award, settings):
    page = journey.page
    good = referral_data()
    award(good["nino"])
    bad_nino = referral_data(nino="QQ123456A")
    formula = referral_data(customer_name=FORMULA)
    award(formula["nino"])

    journey.sign_in("la.officer")
    journey.step("home")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Upload a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of referrals")
    journey.step("form")

    # A spreadsheet saved in the Windows encoding (the £ is byte A3) is refused whole, saying what to do.
    cp1252 = _csv([dict(good, amount_recovered="£100.00")], encoding="cp1252")
    assert b"\xa3" in cp1252
    _upload(page, "windows.csv", cp1252)
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of referrals")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The file is not UTF-8 text (near line 2)")
    expect(summary).to_contain_text("CSV UTF-8")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#file")
    expect(page.locator("#file-error")).to_contain_text("not UTF-8")
    assert page.locator("#file").get_attribute("aria-describedby").split() == ["file-hint", "file-error"]
    journey.step("wrong-encoding")
    assert not ImportBatch.objects.exists() and not Referral.objects.exists()

    # A good file is kept and queued; the worker is held back here so the progress page can be seen working.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _upload(page, "referrals.csv", _csv([good, bad_nino, formula]))
    batch = ImportBatch.objects.get()
    expect(page).to_have_url(journey.url(f"/files/{batch.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("referrals.csv")
    progress = page.get_by_role("status")
    expect(progress).to_contain_text("0 of 3 rows done")
    journey.step("progress")

    # The worker runs; the page notices by itself (it polls progress.json) and shows the outcomes.
    process_import.call(batch.pk)
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible(timeout=15_000)
    outcomes = page.locator(".govuk-summary-list")
    expect(outcomes.locator(".govuk-summary-list__row", has_text="Loaded for recovery")).to_contain_text("1")
    expect(outcomes.locator(".govuk-summary-list__row", has_text="Returned: missing or invalid data")
           ).to_contain_text("2")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # only the rows not loaded, by default
    nino_row = rows.filter(has_text=bad_nino["la_reference"])
    expect(nino_row.locator("td").first).to_have_text("3")
    expect(nino_row).to_contain_text("National Insurance number")
    formula_row = rows.filter(has=page.locator("td:first-child", has_text=re.compile(r"^4$")))
    expect(formula_row).to_contain_text("looks like a spreadsheet formula")
    journey.step("results")

    page.get_by_role("link", name="Show every row").click()
    expect(page.locator("table tbody tr")).to_have_count(3)
    journey.step("every-row")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download every row's outcome")).click()
    download = download_info.value
    assert download.suggested_filename == f"results-{batch.pk}.csv"
    with open(download.path(), encoding="utf-8", newline="") as fh:
        results = list(csv.DictReader(fh))
    assert [r["row"] for r in results] == ["2", "3", "4"]
    assert [r["outcome"] for r in results] == [Status.LOADED, Status.RETURNED_NON_QUALITY, Status.RETURNED_NON_QUALITY]
    assert "National Insurance number" in results[1]["faults"]
    assert "spreadsheet formula" in results[2]["faults"]
    # Nothing the file sent comes back as a live spreadsheet formula.
    assert not any(value.startswith(("=", "+", "-", "@")) for r in results for value in r.values())
    assert FORMULA not in download.path().read_text(encoding="utf-8")


def test_a_file_that_stops_part_way_says_so_and_the_officer_carries_it_on(journey, la_officer, referral_data, award,
                                                                          settings, second_chunk_fails):
    page = journey.page
    rows = [referral_data(la_reference=f"LDS/STOP/{n}") for n in range(5)]
    for row in rows:
        award(row["nino"])
    second_chunk_fails(ConnectionResetError("the database went away"))  # when the worker runs it, below

    journey.sign_in("la.officer")
    journey.go("/files/new/")
    immediate = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _upload(page, "stops.csv", _csv(rows))
    batch = ImportBatch.objects.get()
    expect(page.get_by_role("status")).to_contain_text("0 of 5 rows done")

    # The worker fails after the first chunk; the page, polling, shows what happened instead of "Processing".
    try:
        process_import.call(batch.pk)
    except ConnectionResetError:
        pass
    banner = page.get_by_role("region", name="Important")
    expect(banner).to_contain_text("Processing stopped after 2 of 5 rows", timeout=15_000)
    expect(banner).to_contain_text(f"quoting file number {batch.pk}")
    expect(page.locator(".govuk-tag")).to_have_text("Stopped part way")
    journey.step("stopped")

    settings.TASKS = immediate
    page.get_by_role("button", name="Carry on processing the file").click()
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible(timeout=15_000)
    expect(page.locator(".govuk-notification-banner--success, .govuk-notification-banner")).to_contain_text(
        "The file will carry on from the row after the last one recorded.")
    expect(page.locator(".govuk-summary-list__row", has_text="Loaded for recovery")).to_contain_text("5")
    journey.step("carried-on")
    assert sorted(Referral.objects.values_list("source_row", flat=True)) == [2, 3, 4, 5, 6]
