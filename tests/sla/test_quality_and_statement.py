"""The quality referral log and the year-end statement of performance."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liaison.sla.measure import measurements_refresh
from liaison.sla.models import Measurement, Standard
from liaison.sla.quality import quality_log
from liaison.sla.services import breach_reason_record, local_target_record
from liaison.sla.statement import statement_data, statement_pdf, statement_xlsx

pytestmark = pytest.mark.django_db
D = dt.date
NINO = {"field": "nino", "label": "National Insurance number", "message": "Enter a valid National Insurance number"}
POSTCODE = {"field": "postcode", "label": "Postcode", "message": "Enter a real postcode"}
BALANCE = {"field": "outstanding_balance", "label": "Outstanding balance", "message": "Enter the balance"}


@pytest.fixture
def quality(standards, timeline, la, other_la):
    timeline.referral(la, "2024-04-03 10:00", outcome="non_quality", faults=[NINO, POSTCODE])
    timeline.referral(la, "2024-04-04 10:00", outcome="non_quality", faults=[NINO, NINO])  # one kind, once
    timeline.referral(la, "2024-04-05 10:00")
    timeline.referral(la, "2024-04-08 10:00")
    timeline.referral(la, "2024-05-07 10:00", outcome="non_quality", faults=[BALANCE])
    timeline.referral(la, "2024-05-08 10:00", outcome="returned")  # no benefit: not a quality fault
    timeline.referral(other_la, "2024-04-03 10:00", outcome="non_quality", faults=[POSTCODE])
    measurements_refresh(as_of=D(2024, 5, 31))


def test_the_log_counts_non_quality_referrals_per_la_per_month_with_their_faults(quality, la):
    april, may = sorted(quality_log(start=D(2024, 4, 1), end=D(2025, 3, 31), as_of=D(2024, 5, 31), la_id=la.pk),
                        key=lambda r: r.month)
    assert (april.month, april.received, april.non_quality, april.percent_non_quality) == (D(2024, 4, 1), 4, 2, 50.0)
    assert april.top_faults == [("National Insurance number", 2), ("Postcode", 1)]
    assert (may.received, may.non_quality, may.top_faults) == (2, 1, [("Outstanding balance", 1)])


def test_cc_porth_sees_every_la_and_an_la_only_its_own(quality, client, la_officer, porth_officer):
    client.force_login(porth_officer)
    page = client.get(reverse("sla:quality"), {"period": "2024", "as_of": "2024-05-31"})
    rows = {r.la.name: (r.received, r.non_quality) for r in page.context["rows"]}
    assert rows == {"Leeds": (6, 3), "Cardiff": (1, 1)}
    assert set(page.context["faults"][:2]) == {("National Insurance number", 2), ("Postcode", 2)}
    client.force_login(la_officer)
    page = client.get(reverse("sla:quality"), {"period": "2024", "as_of": "2024-05-31", "la": "W06000015"})
    assert {r.la.name for r in page.context["rows"]} == {"Leeds"}
    assert "Cardiff" not in page.content.decode()
    assert page.context["totals"] == {"received": 6, "non_quality": 3, "percent": 50.0}


# --- The year-end statement ------------------------------------------------------------------------------------

@pytest.fixture
def year(standards, timeline, la, other_la, sla_liaison):
    """SLA year 2024/25 for Leeds, with a local REF-INPUT target of 7 working days from 1 October 2024."""
    local_target_record(standard=Standard.objects.get(code="REF-INPUT"), la=la, limit=7,
                        effective_from=D(2024, 10, 1), agreed_on=D(2024, 9, 20), la_contact="Priya Shah",
                        reference="Liaison meeting, 20 September 2024", actor=sla_liaison,
                        now=dt.datetime(2024, 9, 20, 12, tzinfo=dt.UTC))
    cases = {
        "ok": timeline.referral(la, "2024-06-03 10:00"),
        "slow": timeline.referral(la, "2024-06-03 10:00", decided="2024-06-18 10:00"),      # 11: breached
        "local": timeline.referral(la, "2024-10-01 10:00", decided="2024-10-10 10:00"),     # 7: met (local 7)
        "local_late": timeline.referral(la, "2024-10-01 10:00", decided="2024-10-11 10:00"),  # 8: breached
        "bad": timeline.referral(la, "2024-11-04 10:00", outcome="non_quality", faults=[NINO]),
        "next_year": timeline.referral(la, "2025-04-01 10:00"),
        "cardiff": timeline.referral(other_la, "2024-06-03 10:00", decided="2024-06-28 10:00"),
    }
    measurements_refresh(as_of=D(2025, 4, 30))
    slow = Measurement.objects.get(standard__code="REF-INPUT", case_id=cases["slow"].pk)
    breach_reason_record(measurement=slow, reason="The benefit register was unavailable", actor=sla_liaison,
                         now=dt.datetime(2025, 4, 30, 9, tzinfo=dt.UTC))
    return cases


def test_the_statement_has_every_standards_figures_targets_and_breaches(year, la):
    s = statement_data(la=la, year=2024, as_of=D(2025, 4, 30))
    codes = [sf.standard.code for sf in s.board.rows]
    assert len(codes) == 10 and s.complete
    ref_input = s.board.rows[0].total
    assert (ref_input.measured, ref_input.met, ref_input.breached, ref_input.open) == (5, 3, 2, 0)
    assert ref_input.percent_met == 60.0 and ref_input.median == 7 and ref_input.p95 == pytest.approx(10.4)
    quality = next(sf.total for sf in s.board.rows if sf.standard.code == "REF-QUALITY")
    assert (quality.measured, quality.met, quality.breached) == (5, 4, 1)
    assert [(t.standard.code, t.limit) for t in s.targets] == [("REF-INPUT", 7)]
    reasons = {b.standard.code: dict(b.reasons) for b in s.by_standard}
    assert reasons == {"REF-INPUT": {"The benefit register was unavailable": 1, "No reason recorded": 1},
                       "REF-QUALITY": {"No reason recorded": 1}}
    assert s.breach_total == 3
    late = next(m for m in s.breaches if m.case_id == year["local_late"].pk)
    assert (late.limit, late.local_target, late.working_days) == (7, True, 8)
    assert s.faults == [("National Insurance number", 1)]


def test_the_statement_as_pdf_and_excel(year, la):
    s = statement_data(la=la, year=2024, as_of=D(2025, 4, 30))
    pdf = statement_pdf(s)
    assert pdf[:4] == b"%PDF" and len(pdf) > 5000
    book = load_workbook(io.BytesIO(statement_xlsx(s)))
    assert book.sheetnames == ["Summary", "By month", "Local targets", "Breach reasons", "Breaches", "Quality faults"]
    summary = [[c.value for c in r] for r in book["Summary"].iter_rows()]
    assert ["REF-INPUT", "Referral input onto Debt Manager", "10 working days", 5, 3, 2, 0, 0, 60.0, 7,
            pytest.approx(10.4)] in summary
    assert [[c.value for c in r] for r in book["Local targets"].iter_rows()][1][:2] == ["REF-INPUT", 7]
    breaches = [[c.value for c in r] for r in book["Breaches"].iter_rows()][1:]
    assert len(breaches) == 3
    assert ["REF-INPUT", year["slow"].reference] == breaches[0][:2]
    assert breaches[0][-1] == "The benefit register was unavailable"


def test_the_statement_pages_and_downloads(year, client, la_officer, other_la_officer, sla_liaison, la):
    client.force_login(la_officer)
    page = client.get(reverse("sla:statement"), {"year": "2024", "as_of": "2025-04-30"})
    html = page.content.decode()
    assert "Leeds: SLA year 2024/25" in html and "The benefit register was unavailable (1)" in html
    pdf = client.get(reverse("sla:statement_pdf"), {"year": "2024", "as_of": "2025-04-30"})
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="sla-statement-E08000035-2024-2025.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get(reverse("sla:statement_xlsx"), {"year": "2024", "as_of": "2025-04-30"})
    assert xlsx.status_code == 200
    # another LA's statement: not found, whichever address is tried
    client.force_login(other_la_officer)
    for name in ("sla:statement", "sla:statement_pdf", "sla:statement_xlsx"):
        assert client.get(reverse(name), {"la": la.code, "year": "2024"}).status_code == 404
    client.force_login(sla_liaison)
    page = client.get(reverse("sla:statement"), {"la": la.code, "year": "2024", "as_of": "2025-04-30"})
    assert "Leeds: SLA year 2024/25" in page.content.decode()
