"""The boundary: an LA user never sees another LA's figures or cases, on any page or export, whatever the address
asks for. Signed-out people are sent to sign in; people without a role see nothing."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liaison.partners.models import User
from liaison.sla.measure import measurements_refresh
from liaison.sla.models import Measurement, Standard
from liaison.sla.services import local_target_record

pytestmark = pytest.mark.django_db
D = dt.date
CARDIFF = "W06000015"


@pytest.fixture
def two_las(standards, timeline, la, other_la, sla_liaison, site):
    cardiff = timeline.referral(other_la, "2024-05-01 10:00", outcome="queued")
    timeline.referral(other_la, "2024-05-02 10:00", outcome="non_quality")
    coc = timeline.case(other_la, "2024-01-10 10:00")
    timeline.event(coc, "coc.received", "2024-05-20 10:00", org=site, la_told_on="2024-05-01", coc_id=1)
    timeline.referral(la, "2024-05-03 10:00")
    local_target_record(standard=Standard.objects.get(code="SOE"), la=other_la, limit=4, effective_from=D(2024, 4, 1),
                        agreed_on=D(2024, 3, 1), la_contact="Cardiff's manager", reference="Cardiff minutes",
                        actor=sla_liaison, now=dt.datetime(2024, 3, 2, tzinfo=dt.UTC))
    measurements_refresh(as_of=D(2024, 5, 31))
    return {"case": cardiff, "measurement": Measurement.objects.get(standard__code="REF-INPUT", case_id=cardiff.pk),
            "coc": Measurement.objects.get(standard__code="COC-NOTIFY")}


COMMON = {"period": "2024", "as_of": "2024-05-31", "la": CARDIFF}


def body(response) -> str:
    if hasattr(response, "streaming_content"):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data[:2] == b"PK":  # Excel
        book = load_workbook(io.BytesIO(data))
        return "\n".join(str(c.value) for s in book for row in s.iter_rows() for c in row if c.value is not None)
    return data.decode("utf-8", "replace")


@pytest.mark.parametrize("name, params", [
    ("sla:dashboard", COMMON), ("sla:dashboard_csv", COMMON), ("sla:dashboard_xlsx", COMMON),
    ("sla:items", {**COMMON, "standard": "REF-INPUT", "state": "measured"}),
    ("sla:items", {**COMMON, "standard": "COC-NOTIFY", "state": "breached"}),
    ("sla:items_csv", {**COMMON, "standard": "REF-INPUT", "state": "measured"}),
    ("sla:queue", {"team": "DM-PORTH"}), ("sla:quality", COMMON), ("sla:targets", {}),
    ("sla:standards", {}), ("sla:statement", {"year": "2024", "as_of": "2024-05-31"}),
])
def test_an_la_user_sees_only_its_own_la(two_las, client, la_officer, name, params):
    client.force_login(la_officer)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    text = body(response)
    assert "Cardiff" not in text and CARDIFF not in text
    assert two_las["case"].reference not in text


@pytest.mark.parametrize("name", ["sla:statement", "sla:statement_pdf", "sla:statement_xlsx"])
def test_another_las_statement_is_not_found(two_las, client, la_officer, name):
    client.force_login(la_officer)
    assert client.get(reverse(name), {"la": CARDIFF, "year": "2024"}).status_code == 404


def test_another_las_item_is_not_found(two_las, client, la_officer):
    client.force_login(la_officer)
    for m in (two_las["measurement"], two_las["coc"]):
        url = reverse("sla:breach_reason", args=[m.standard.code, m.start_event_id])
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404


def test_dm_sees_cardiff(two_las, client, porth_officer):
    client.force_login(porth_officer)
    text = body(client.get(reverse("sla:items"), {**COMMON, "standard": "REF-INPUT", "state": "measured"}))
    assert two_las["case"].reference in text


def test_la_users_cannot_manage_targets(two_las, client, la_officer, la_manager):
    for user in (la_officer, la_manager):
        client.force_login(user)
        assert client.get(reverse("sla:target_new")).status_code == 403
        assert client.post(reverse("sla:target_end", args=[1]), {}).status_code == 403


ALL = ["sla:dashboard", "sla:dashboard_csv", "sla:dashboard_xlsx", "sla:items", "sla:items_csv", "sla:queue",
       "sla:quality", "sla:statement", "sla:statement_pdf", "sla:statement_xlsx", "sla:targets", "sla:target_new",
       "sla:standards"]


@pytest.mark.parametrize("name", ALL)
def test_signed_out_people_are_sent_to_sign_in(refdata, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("name", ALL)
def test_people_without_a_role_see_nothing(refdata, client, name):
    client.force_login(User.objects.create_user(username="nobody", password="correct-horse-battery"))
    assert client.get(reverse(name)).status_code == 403
