"""The dashboards: every figure of a scenario with known timelines, for DM (all LAs, by site) and for an LA; the
chart and its table; the items behind each figure; the exports."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liaison.partners.models import Role
from liaison.sla import figures
from liaison.sla.measure import measurements_refresh
from liaison.sla.periods import month_period, parse_period, sla_quarter, sla_year

pytestmark = pytest.mark.django_db
D = dt.date
AS_OF = D(2024, 5, 31)


@pytest.fixture
def scenario(standards, timeline, la, scottish_la, site):
    """Leeds, May 2024 (6 May and 27 May are bank holidays), as of Friday 31 May:
    a  received 1 May, loaded at once                     REF-INPUT met, 0 working days
    b  received 1 May, queued, loaded 15 May               met, 9
    c  received 1 May, queued, loaded 17 May               breached, 11
    d  received 1 May, queued, never decided              breached (open past its due date, 16 May)
    e  received 30 May, queued                            open (due 13 June)
    f  received 17 May, queued                            open and at risk (due Monday 3 June)
    g  received 1 May, returned as non-quality at once    met, 0; REF-QUALITY breached
    Edinburgh: one referral received 1 May and loaded at once (DM's figures only).
    """
    cases = {
        "a": timeline.referral(la, "2024-05-01 10:00"),
        "b": timeline.referral(la, "2024-05-01 10:00", decided="2024-05-15 10:00"),
        "c": timeline.referral(la, "2024-05-01 10:00", decided="2024-05-17 10:00"),
        "d": timeline.referral(la, "2024-05-01 10:00", outcome="queued"),
        "e": timeline.referral(la, "2024-05-30 10:00", outcome="queued"),
        "f": timeline.referral(la, "2024-05-17 10:00", outcome="queued"),
        "g": timeline.referral(la, "2024-05-01 10:00", outcome="non_quality"),
        "x": timeline.referral(scottish_la, "2024-05-01 10:00"),
    }
    # an April referral for the chart: loaded late (breached)
    cases["h"] = timeline.referral(la, "2024-04-02 10:00", decided="2024-04-30 10:00")
    measurements_refresh(as_of=AS_OF)
    return cases


def totals(board, code):
    return next(sf for sf in board.rows if sf.standard.code == code).total


def test_every_figure_for_the_la_in_a_month(scenario, la):
    board = figures.dashboard(as_of=AS_OF, period=month_period(D(2024, 5, 1)), la_id=la.pk)
    f = totals(board, "REF-INPUT")
    assert (f.measured, f.met, f.breached, f.open, f.at_risk) == (7, 3, 2, 2, 1)
    assert f.percent_met == 60.0
    assert f.median == 4.5          # of 0, 0, 9, 11
    assert f.p95 == pytest.approx(10.7)  # percentile_cont(0.95): 9 + 0.85 x (11 - 9)
    q = totals(board, "REF-QUALITY")
    assert (q.measured, q.met, q.breached, q.open, q.at_risk, q.percent_met) == (7, 6, 1, 0, 0, 85.7)
    assert q.median is None and q.p95 is None
    response_ = totals(board, "REF-RESPONSE")  # received -> outcome notice, 20 working days
    assert (response_.measured, response_.met, response_.breached, response_.open) == (7, 4, 0, 3)


def test_dm_sees_every_la_and_can_filter_by_la_and_site(scenario, la, scottish_la, porth_org, site):
    may = month_period(D(2024, 5, 1))
    everyone = totals(figures.dashboard(as_of=AS_OF, period=may), "REF-INPUT")
    assert (everyone.measured, everyone.met) == (8, 4)
    edinburgh = totals(figures.dashboard(as_of=AS_OF, period=may, la_id=scottish_la.pk), "REF-INPUT")
    assert (edinburgh.measured, edinburgh.met, edinburgh.percent_met) == (1, 1, 100.0)
    porth = totals(figures.dashboard(as_of=AS_OF, period=may, site_id=porth_org.pk), "REF-INPUT")
    assert porth.measured == 8
    bradford = figures.dashboard(as_of=AS_OF, period=may, site_id=site.pk)
    assert totals(bradford, "REF-INPUT").measured == 0  # CC Porth inputs referrals, not a CCG site


def test_a_quarter_and_a_year_add_up_the_months(scenario, la):
    q1 = figures.dashboard(as_of=AS_OF, period=sla_quarter(2024, 1), la_id=la.pk)
    year = figures.dashboard(as_of=AS_OF, period=sla_year(2024), la_id=la.pk)
    for board in (q1, year):
        f = totals(board, "REF-INPUT")
        assert (f.measured, f.met, f.breached, f.open, f.at_risk) == (8, 3, 3, 2, 1)  # and h, in April
        assert f.percent_met == 50.0 and f.median == 9
        assert f.p95 == pytest.approx(18.2)  # of 0, 0, 9, 11, 20: position 3.8, 11 + 0.8 x 9
    by_month = next(sf for sf in year.rows if sf.standard.code == "REF-INPUT").by_month
    assert by_month[D(2024, 4, 1)].percent_met == 0.0 and by_month[D(2024, 5, 1)].percent_met == 60.0
    assert year.months == [D(2024, 4, 1), D(2024, 5, 1)]
    previous = figures.dashboard(as_of=AS_OF, period=sla_year(2023), la_id=la.pk)
    assert totals(previous, "REF-INPUT").measured == 0


def test_figures_change_with_the_day_asked(scenario, la):
    """As of 15 May: e and f had not arrived; b stopped that day; c (stopped 17 May) and d were still open and due
    the next day, so at risk, not yet breached."""
    board = figures.dashboard(as_of=D(2024, 5, 15), period=month_period(D(2024, 5, 1)), la_id=la.pk)
    f = totals(board, "REF-INPUT")
    assert (f.measured, f.met, f.breached, f.open, f.at_risk) == (5, 3, 0, 2, 2)


@pytest.mark.parametrize("as_of", [D(2024, 4, 15), D(2024, 5, 1), D(2024, 5, 16), AS_OF, D(2024, 6, 3),
                                   D(2025, 4, 1)])
def test_the_summary_gives_the_same_figures_as_every_item(scenario, la, as_of):
    """What stopped before the month asked about is read from the summary; the figures must be those of the items."""
    for la_id in (None, la.pk):
        fast = figures.dashboard(as_of=as_of, period=sla_year(2024), la_id=la_id)
        slow = figures.dashboard(as_of=as_of, period=sla_year(2024), la_id=la_id, use_summary=False)
        for a, b in zip(fast.rows, slow.rows, strict=True):
            assert a.total == b.total, a.standard.code
            assert dict(a.by_month) == dict(b.by_month) and dict(a.by_site) == dict(b.by_site)


def test_the_percentile_is_postgresqls_percentile_cont():
    assert figures.percentile({}, 0.5) is None
    assert figures.percentile({7: 1}, 0.95) == 7
    assert figures.percentile({1: 1, 2: 1, 3: 1, 4: 1}, 0.5) == 2.5
    assert figures.percentile({0: 2, 10: 2}, 0.95) == pytest.approx(10)
    assert figures.percentile({0: 3, 10: 1}, 0.95) == pytest.approx(8.5)  # 0.95 x 3 = 2.85 -> 0 + 0.85 x 10


def test_the_percentile_matches_percentile_cont_on_postgresql(scenario, la):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY working_days) "
                       "FROM sla_measurement m JOIN sla_standard s ON s.id = m.standard_id "
                       "WHERE s.code = 'REF-INPUT' AND m.la_id = %s AND m.stop_on IS NOT NULL", [la.pk])
        median, p95 = cursor.fetchone()[0]
    f = totals(figures.dashboard(as_of=AS_OF, period=sla_year(2024), la_id=la.pk), "REF-INPUT")
    assert (f.median, f.p95) == (pytest.approx(median), pytest.approx(p95))


# --- The pages ----------------------------------------------------------------------------------------------

def page_figures(html: str, code: str) -> dict:
    """The numbers in a standard's row of the dashboard table."""
    import re

    row = re.search(rf'<tr class="govuk-table__row" data-standard="{code}">(.*?)</tr>', html, re.S).group(1)
    out = {}
    for name, cell in re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S):
        text = re.sub(r"<span class=\"govuk-visually-hidden\">.*?</span>", "", cell, flags=re.S)
        out[name] = re.sub(r"<[^>]+>", "", text).strip()
    return out


def test_the_la_dashboard_page_shows_every_figure(scenario, client, la_officer):
    client.force_login(la_officer)
    response = client.get(reverse("sla:dashboard"), {"period": "2024-05", "as_of": "2024-05-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert page_figures(html, "REF-INPUT") == {"measured": "7", "met": "3", "breached": "2", "open": "2",
                                               "at_risk": "1", "percent_met": "60.0%", "median": "4.5",
                                               "p95": "10.7"}
    assert page_figures(html, "REF-QUALITY")["percent_met"] == "85.7%"
    assert "Edinburgh" not in html
    assert 'role="img"' in html and "REF-INPUT: percentage met by month" in html  # the charts
    assert 'id="by-month"' in html  # and their numbers in a table


def test_the_dm_dashboard_page_filters_by_la_and_site(scenario, client, make_user, porth_org):
    user = make_user(Role.SLA_LIAISON, porth_org)
    client.force_login(user)
    html = client.get(reverse("sla:dashboard"), {"period": "2024-05", "as_of": "2024-05-31"}).content.decode()
    assert page_figures(html, "REF-INPUT")["measured"] == "8"
    assert 'id="by-site"' in html and "CC Porth" in html
    html = client.get(reverse("sla:dashboard"), {"period": "2024-05", "as_of": "2024-05-31",
                                                 "la": "S12000036"}).content.decode()
    assert page_figures(html, "REF-INPUT")["measured"] == "1"
    html = client.get(reverse("sla:dashboard"), {"period": "2024-05", "as_of": "2024-05-31",
                                                 "site": "DM-CCG-BRADFORD"}).content.decode()
    assert page_figures(html, "REF-INPUT")["measured"] == "0"


@pytest.mark.parametrize("state, cases", [
    ("measured", "abcdefg"), ("met", "abg"), ("breached", "cd"), ("open", "ef"), ("at_risk", "f")])
def test_each_figure_drills_down_to_the_cases_behind_it(scenario, client, la_officer, state, cases):
    client.force_login(la_officer)
    response = client.get(reverse("sla:items"), {"standard": "REF-INPUT", "state": state, "period": "2024-05",
                                                 "as_of": "2024-05-31"})
    html = response.content.decode()
    shown = {k for k, case in scenario.items() if case.reference in html}
    assert shown == set(cases)


def test_drill_down_by_month_and_keyset_pages(scenario, client, la_officer, monkeypatch):
    from liaison.sla import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(la_officer)
    params = {"standard": "REF-INPUT", "state": "measured", "period": "2024", "month": "2024-05",
              "as_of": "2024-05-31"}
    seen, url = [], reverse("sla:items")
    response = client.get(url, params)
    while True:
        html = response.content.decode()
        seen += [k for k, case in scenario.items() if case.reference in html]
        nxt = response.context["next_url"]
        if not nxt:
            break
        response = client.get(url + nxt)
    assert sorted(seen) == sorted("abcdefg")  # each once, April's h not in May


def test_the_dashboard_exports_as_csv_and_excel(scenario, client, la_officer):
    client.force_login(la_officer)
    params = {"period": "2024-05", "as_of": "2024-05-31"}
    response = client.get(reverse("sla:dashboard_csv"), params)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    row = next(r for r in rows if r and r[0] == "REF-INPUT")
    assert row[2:] == ["7", "3", "2", "2", "1", "60.0", "4.5", "10.7"]
    assert "Edinburgh" not in response.content.decode()
    response = client.get(reverse("sla:dashboard_xlsx"), params)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["Standards"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    row = next(r for r in values if r and r[0] == "REF-INPUT")
    assert row[2:] == [7, 3, 2, 2, 1, 60.0, 4.5, pytest.approx(10.7)]
    months = [[c.value for c in r] for r in book["By month"].iter_rows()]
    assert ["REF-INPUT", "2024-05", 7, 3, 2, 2, 1, 60.0, 4.5, pytest.approx(10.7)] in months


def test_the_items_export_as_csv(scenario, client, la_officer):
    client.force_login(la_officer)
    response = client.get(reverse("sla:items_csv"), {"standard": "REF-INPUT", "state": "breached",
                                                     "period": "2024-05", "as_of": "2024-05-31"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Standard", "Case"]
    assert sorted(r[1] for r in rows[1:]) == sorted([scenario["c"].reference, scenario["d"].reference])
    assert {r[-1] for r in rows[1:]} == {"Breached"}


def test_periods_parse_and_default_to_the_current_sla_year():
    today = D(2025, 3, 31)
    assert parse_period("", today=today) == sla_year(2024)
    assert parse_period("2024-Q4", today=today).start == D(2025, 1, 1)
    assert parse_period("2024-Q4", today=today).end == D(2025, 3, 31)
    assert parse_period("2025-02", today=today).end == D(2025, 2, 28)
    assert parse_period("nonsense", today=D(2025, 4, 1)) == sla_year(2025)
    assert sla_year(2024).label == "SLA year 2024/25 (April 2024 to March 2025)"
