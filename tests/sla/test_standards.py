"""Standards as data, and local targets: recorded by SLA liaison officers, refused when laxer than the national
minimum (SLA Appendix 2), applied to the clocks that start while they are in force."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.sla.figures import national_limit_text
from liaison.sla.measure import measurements_refresh
from liaison.sla.models import LocalTarget, Measurement, Provision, Standard
from liaison.sla.reference import standards_load
from liaison.sla.services import local_target_end, local_target_record

pytestmark = pytest.mark.django_db
D = dt.date
NOW = dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC)

CODES = ["REF-INPUT", "REF-OUTCOME", "REF-RESPONSE", "REF-QUALITY", "COC-NOTIFY", "COC-ACTION", "REC-END", "PAY",
         "COMPLAINT-FWD", "SOE"]


def test_every_standard_of_domain_section_8_is_a_record(standards):
    assert list(Standard.objects.values_list("code", flat=True)) == CODES
    on = D(2024, 6, 1)
    texts = {s.code: national_limit_text(s, on) for s in Standard.objects.prefetch_related("provisions")}
    assert texts == {"REF-INPUT": "10 working days", "REF-OUTCOME": "10 working days",
                     "REF-RESPONSE": "20 working days", "REF-QUALITY": "Logged (no national minimum)",
                     "COC-NOTIFY": "5 working days", "COC-ACTION": "10 working days", "REC-END": "10 working days",
                     "PAY": "By the end of the next month", "COMPLAINT-FWD": "3 working days",
                     "SOE": "7 working days"}
    coc = Standard.objects.get(code="COC-NOTIFY")
    assert (coc.calendar, coc.responsible, coc.start_date_key) == ("LA", "LA", "la_told_on")
    assert Standard.objects.get(code="REF-INPUT").calendar == "DM"
    assert all(p.agreement.startswith("SLA 2014") for p in Provision.objects.all())


def test_complaint_forwarding_keeps_both_appendices_and_the_stricter_is_in_force(standards):
    """DOMAIN D2: Appendix 1 says 7 working days, Appendix 2 says 3."""
    provisions = sorted(Provision.objects.filter(standard__code="COMPLAINT-FWD").values_list("limit", "source"))
    assert [p[0] for p in provisions] == [3, 7]
    assert "Appendix 2" in provisions[0][1] and "Appendix 1" in provisions[1][1]


def test_loading_again_changes_nothing_and_restores_an_edit(standards):
    before = list(Provision.objects.values_list("id", "limit"))
    standard = Standard.objects.get(code="SOE")
    standard.title = "Edited"
    standard.save()
    report = standards_load()
    assert report.standards_created == 0 and report.standards_updated == 10
    assert Standard.objects.get(code="SOE").title == "Sequence of events supplied"
    assert list(Provision.objects.values_list("id", "limit")) == before


def test_the_command_and_the_reference_data_load_the_standards(refdata, capsys):
    assert Standard.objects.count() == 10  # load_reference_data loads them
    call_command("load_standards")
    assert "Service standards: 0 standards created, 10 updated" in capsys.readouterr().out


# --- Local targets ---------------------------------------------------------------------------------------------

def record(user, la, code="REF-INPUT", limit=7, effective_from=D(2024, 4, 1), **extra):
    values = {"agreed_on": D(2024, 3, 20), "la_contact": "Priya Shah, Benefits Manager",
              "reference": "Liaison meeting minutes, 20 March 2024", "effective_to": None, **extra}
    return local_target_record(standard=Standard.objects.get(code=code), la=la, limit=limit,
                               effective_from=effective_from, actor=user, now=NOW, **values)


def faults(excinfo) -> dict:
    return excinfo.value.extra["faults"]


def test_a_stricter_local_target_is_recorded_with_a_timeline_event(standards, sla_liaison, la):
    target = record(sla_liaison, la, limit=7)
    assert (target.limit, target.effective_from, target.recorded_by) == (7, D(2024, 4, 1), sla_liaison)
    event = Event.objects.get(kind="sla.local_target_recorded")
    assert event.la == la and event.case is None and event.data["limit"] == 7


@pytest.mark.parametrize("code, limit", [("REF-INPUT", 10), ("REF-INPUT", 11), ("COMPLAINT-FWD", 5),
                                         ("COMPLAINT-FWD", 3), ("SOE", 30)])
def test_a_target_as_lax_as_or_laxer_than_the_national_minimum_is_refused(standards, sla_liaison, la, code, limit):
    with pytest.raises(ApplicationError) as excinfo:
        record(sla_liaison, la, code=code, limit=limit)
    assert "must be stricter than the national standard" in faults(excinfo)["limit"]
    assert "SLA Appendix 2" in faults(excinfo)["limit"]
    assert not LocalTarget.objects.exists()


def test_pay_takes_no_local_target_and_quality_takes_a_share(standards, sla_liaison, la):
    with pytest.raises(ApplicationError) as excinfo:
        record(sla_liaison, la, code="PAY", limit=10)
    assert "does not take a local target" in faults(excinfo)["standard"]
    with pytest.raises(ApplicationError) as excinfo:
        record(sla_liaison, la, code="REF-QUALITY", limit=101)
    assert "between 1 and 100" in faults(excinfo)["limit"]
    assert record(sla_liaison, la, code="REF-QUALITY", limit=95).limit == 95


def test_only_sla_liaison_officers_record_targets(standards, la_officer, porth_officer, la):
    for user in (la_officer, porth_officer):
        with pytest.raises(ApplicationError) as excinfo:
            record(user, la)
        assert excinfo.value.status == 403


def test_every_missing_item_is_reported(standards, sla_liaison, la):
    with pytest.raises(ApplicationError) as excinfo:
        local_target_record(standard=Standard.objects.get(code="SOE"), la=la, limit=None, effective_from=None,
                            agreed_on=D(2030, 1, 1), la_contact=" ", reference="", actor=sla_liaison, now=NOW)
    assert set(faults(excinfo)) == {"limit", "effective_from", "agreed_on", "la_contact", "reference"}


def test_targets_may_not_overlap_and_can_be_ended(standards, sla_liaison, la):
    target = record(sla_liaison, la, limit=7)
    with pytest.raises(ApplicationError) as excinfo:
        record(sla_liaison, la, limit=5, effective_from=D(2025, 4, 1))
    assert "already has a local target" in faults(excinfo)["effective_from"]
    local_target_end(target=target, last_day=D(2025, 3, 31), actor=sla_liaison, now=NOW)
    target.refresh_from_db()
    assert target.effective_to == D(2025, 3, 31) and target.ended_by == sla_liaison
    assert record(sla_liaison, la, limit=5, effective_from=D(2025, 4, 1)).limit == 5
    with pytest.raises(ApplicationError):
        local_target_end(target=target, last_day=D(2025, 3, 1), actor=sla_liaison, now=NOW)  # already ended


def test_a_local_target_applies_to_clocks_that_start_while_it_is_in_force(standards, sla_liaison, la, other_la,
                                                                          timeline, django_capture_on_commit_callbacks):
    before = timeline.referral(la, "2024-03-28 10:00", outcome="queued")
    during = timeline.referral(la, "2024-04-02 10:00", decided="2024-04-12 10:00")  # 8 working days
    elsewhere = timeline.referral(other_la, "2024-04-02 10:00", decided="2024-04-12 10:00")
    measurements_refresh(as_of=D(2024, 5, 31))
    with django_capture_on_commit_callbacks(execute=True):
        record(sla_liaison, la, limit=7)  # remeasures Leeds' REF-INPUT after it commits
    m = {c: Measurement.objects.get(standard__code="REF-INPUT", case_id=c.pk) for c in (before, during, elsewhere)}
    assert (m[before].limit, m[before].local_target) == (10, False)
    assert (m[during].limit, m[during].local_target, m[during].due_on) == (7, True, D(2024, 4, 11))
    assert m[during].stop_on > m[during].due_on  # 8 working days: breached against 7, met against 10
    assert (m[elsewhere].limit, m[elsewhere].local_target) == (10, False)
    measurements_refresh(as_of=D(2024, 5, 31), full=True)
    assert Measurement.objects.get(standard__code="REF-INPUT", case_id=during.pk).limit == 7


def test_the_target_pages(standards, client, sla_liaison, la, la_officer, other_la):
    client.force_login(sla_liaison)
    page = client.get(reverse("sla:target_new"))
    assert page.status_code == 200 and "National standard: 10 working days" in page.content.decode()
    post = {"la": la.code, "standard": "REF-INPUT", "limit": "12", "effective_from-day": "1",
            "effective_from-month": "4", "effective_from-year": "2024", "agreed_on-day": "20",
            "agreed_on-month": "3", "agreed_on-year": "2024", "la_contact": "Priya Shah", "reference": "Minutes"}
    refused = client.post(reverse("sla:target_new"), post)
    assert refused.status_code == 200 and "must be stricter than the national standard" in refused.content.decode()
    assert client.post(reverse("sla:target_new"), {**post, "limit": "8"}).status_code == 302
    target = LocalTarget.objects.get()
    assert client.get(reverse("sla:targets")).content.decode().count("8 working days") == 1
    client.force_login(la_officer)
    assert "8 working days" in client.get(reverse("sla:targets")).content.decode()
    assert client.get(reverse("sla:target_new")).status_code == 403
    assert client.post(reverse("sla:target_end", args=[target.pk]), {}).status_code == 403
    client.force_login(sla_liaison)
    ended = client.post(reverse("sla:target_end", args=[target.pk]),
                        {"last_day-day": "31", "last_day-month": "3", "last_day-year": "2025"})
    assert ended.status_code == 302
    target.refresh_from_db()
    assert target.effective_to == D(2025, 3, 31)


def test_an_la_sees_only_its_own_targets(standards, client, sla_liaison, la, other_la, other_la_officer):
    record(sla_liaison, la, limit=8)
    client.force_login(other_la_officer)
    html = client.get(reverse("sla:targets")).content.decode()
    assert "8 working days" not in html and "Leeds" not in html


def test_an_administrator_edits_a_standard_and_everything_is_measured_again(standards, client, make_user, la,
                                                                           timeline, django_capture_on_commit_callbacks):
    from liaison.partners.models import Role

    admin_user = make_user(Role.ADMIN, la, "admin.user", is_staff=True, is_superuser=True)
    timeline.referral(la, "2024-04-02 10:00", decided="2024-04-12 10:00")  # 8 working days
    measurements_refresh(as_of=D(2024, 5, 31))
    soe = Standard.objects.get(code="REF-INPUT")
    provision = soe.provisions.get()
    client.force_login(admin_user)
    url = reverse("admin:sla_standard_change", args=[soe.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update({"start_kinds": '["referral.received"]', "stop_kinds": '["referral.loaded", "referral.returned", '
                 '"referral.not_loaded"]', "start_anchor": "{}", "stop_filter": "{}", "fail_kinds": "[]",
                 "provisions-TOTAL_FORMS": "1", "provisions-INITIAL_FORMS": "1", "provisions-MIN_NUM_FORMS": "0",
                 "provisions-MAX_NUM_FORMS": "1000", "provisions-0-id": str(provision.pk),
                 "provisions-0-standard": str(soe.pk), "provisions-0-agreement": provision.agreement,
                 "provisions-0-source": provision.source, "provisions-0-limit": "5",
                 "provisions-0-effective_from": "2014-04-01", "provisions-0-effective_to": "",
                 "provisions-0-note": "Variation agreed"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    m = Measurement.objects.get(standard__code="REF-INPUT")
    assert m.limit == 5 and m.stop_on > m.due_on  # measured again: 8 working days is now late
    assert client.get(reverse("admin:sla_localtarget_changelist")).status_code == 200
