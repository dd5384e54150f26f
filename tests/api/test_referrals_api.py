"""The referral API (`/api/v1/referrals/…`): who may call it, what it answers, and what bad input gets.

Every endpoint is tested for 401 (no or bad credentials), 403 (a role that may not), 404 (another LA's object,
indistinguishable from one that does not exist), and the whole JSON of the main responses is asserted.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from liaison.core.models import Case, Event
from liaison.notices.models import Notice
from liaison.partners.models import ApiToken
from liaison.recovery.models import Debt
from liaison.referrals.models import Referral

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"
VALIDATE = "/api/v1/referrals/validate/"


def post_json(client: Client, path: str, body) -> object:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, raw, content_type="application/json")


def iso(value: dt.datetime) -> str:
    """A datetime as the API writes it: London time, ISO 8601, 'Z' for UTC."""
    return timezone.localtime(value).isoformat().replace("+00:00", "Z")


def nothing_recorded() -> bool:
    return not (Referral.objects.exists() or Case.objects.exists() or Event.objects.exists()
                or Notice.objects.exists() or Debt.objects.exists())


# --- Who may call -------------------------------------------------------------------------------------------

EVERY_ENDPOINT = [
    ("get", "/api/v1/referrals/"),
    ("post", "/api/v1/referrals/"),
    ("post", "/api/v1/referrals/validate/"),
    ("get", "/api/v1/referrals/1/"),
    ("post", "/api/v1/imports/"),
    ("get", "/api/v1/imports/1/"),
    ("get", "/api/v1/imports/1/rows/"),
    ("post", "/api/v1/imports/1/carry-on/"),
    ("get", "/api/v1/notices/"),
    ("get", "/api/v1/notices/1/pdf/"),
    ("get", "/api/v1/changes/"),
    ("post", "/api/v1/changes/"),
    ("get", "/api/v1/changes/1/"),
]


def test_the_list_of_endpoints_checked_here_is_every_api_endpoint_but_the_schema():
    """Every route under /api/v1/, whichever app's api_urls it comes from."""
    from django.urls import URLResolver, get_resolver

    routes = set()
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and str(top.pattern) == "api/v1/":
            routes |= {"/api/v1/" + str(p.pattern).replace("<int:pk>", "1") for p in top.url_patterns}
    assert routes - {"/api/v1/schema/"} == {path for _, path in EVERY_ENDPOINT}


@pytest.mark.parametrize(("method", "path"), EVERY_ENDPOINT)
def test_every_endpoint_refuses_a_request_without_credentials(client, refdata, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), EVERY_ENDPOINT)
def test_every_endpoint_refuses_an_unknown_token(refdata, method, path):
    client = Client(headers={"Authorization": "Bearer lia_not-a-token-anyone-was-given"})
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "The token is not valid, or has been revoked."}


def test_a_revoked_token_is_refused(la_officer, referral_data):
    api_token, token = ApiToken.issue(user=la_officer, name="Leeds revenues system")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get(REFERRALS).status_code == 200
    api_token.revoked_at = timezone.now()
    api_token.save()
    response = post_json(client, REFERRALS, referral_data())
    assert response.status_code == 401
    assert response.json() == {"detail": "The token is not valid, or has been revoked."}
    assert nothing_recorded()


def test_the_token_of_a_deactivated_user_is_refused(la_officer, la_api):
    la_officer.is_active = False
    la_officer.save()
    response = la_api.get(REFERRALS)
    assert response.status_code == 401
    assert response.json() == {"detail": "The token is not valid, or has been revoked."}


def test_a_malformed_authorization_header_is_refused(refdata):
    response = Client(headers={"Authorization": "Bearer two parts"}).get(REFERRALS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Send the token as 'Authorization: Bearer <token>'."}


def test_only_a_hash_of_the_token_is_kept_and_its_use_is_noted(la_officer):
    api_token, token = ApiToken.issue(user=la_officer, name="Leeds revenues system")
    assert token.startswith("lia_") and token not in api_token.digest and api_token.last_used_at is None
    Client(headers={"Authorization": f"Bearer {token}"}).get(REFERRALS)
    api_token.refresh_from_db()
    assert api_token.last_used_at is not None


def test_a_signed_in_session_works_as_well_as_a_token(client, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"])
    client.force_login(la_officer)
    created = post_json(client, REFERRALS, data)
    assert created.status_code == 201 and created.json()["outcome"] == "LOADED"
    listed = client.get(REFERRALS).json()
    assert [r["la_reference"] for r in listed["results"]] == [data["la_reference"]]


@pytest.mark.parametrize("path", [REFERRALS, VALIDATE])
def test_dm_users_may_not_refer_or_validate(porth_api, referral_data, path):
    response = post_json(porth_api, path, referral_data())
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a Local Authority's users and systems can refer overpayments."}
    assert nothing_recorded()


def test_dm_users_may_not_upload_a_file(porth_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = porth_api.post("/api/v1/imports/", {"file": SimpleUploadedFile("r.csv", b"la_code\n")})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a Local Authority's users and systems can refer overpayments."}


# --- Referring ----------------------------------------------------------------------------------------------

def test_a_good_referral_is_201_with_its_outcome_and_the_referral(la_api, la, referral_data, award):
    data = referral_data(customer_name="Megan O'Neill", benefit="HB", outstanding_balance="1234.56")
    award(data["nino"], benefit="ESA")
    response = post_json(la_api, REFERRALS, data)

    assert response.status_code == 201
    referral = Referral.objects.select_related("debt").get()
    debt = referral.debt
    assert debt.recovery_start_date.weekday() == 0 and debt.weekly_rate_pence in (1365, 1395)
    assert response.json() == {
        "outcome": "LOADED",
        "outcome_label": "Loaded for recovery",
        "resent": False,
        "detail": "",
        "referral": {
            "id": referral.pk,
            "case_reference": f"C{referral.case_id:07d}",
            "la_code": "E08000035",
            "la_reference": data["la_reference"],
            "channel": "API",
            "received_at": iso(referral.received_at),
            "status": "LOADED",
            "status_label": "Loaded for recovery",
            "queue_reason": "",
            "faults": [],
            "customer_name": "Megan O'Neill",
            "nino": data["nino"],
            "benefit_type": "HB",
            "is_civil_penalty": False,
            "outstanding_balance_pence": 123456,
            "recovery_start_date": debt.recovery_start_date.isoformat(),
            "weekly_rate_pence": debt.weekly_rate_pence,
            "decided_at": iso(referral.received_at),
        },
    }
    assert referral.la == la and referral.submitted_by.username == "la.officer"
    assert Notice.objects.get(case=referral.case).code == "HBREC"


def test_sending_the_same_referral_again_is_200_resent_with_the_same_referral(la_api, referral_data, award):
    data = referral_data()
    award(data["nino"])
    first = post_json(la_api, REFERRALS, data)
    again = post_json(la_api, REFERRALS, data)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {
        "outcome": "RESENT",
        "outcome_label": "Already received",
        "resent": True,
        "detail": f"Already received: referral {data['la_reference']} is held (Loaded for recovery)",
        "referral": first.json()["referral"],
    }
    assert Referral.objects.count() == 1 and Debt.objects.count() == 1 and Notice.objects.count() == 1


def test_a_referral_with_faults_is_recorded_and_returned_listing_every_fault_by_field(la_api, referral_data):
    data = referral_data(nino="QQ123456A", postcode="NOWHERE", outstanding_balance="0", cause="", reason="NOPE")
    response = post_json(la_api, REFERRALS, data)

    assert response.status_code == 201
    referral = Referral.objects.get()
    faults = [
        {"field": "cause", "label": "Cause of overpayment", "message": "Enter the cause of overpayment"},
        {"field": "postcode", "label": "Postcode", "message": "Enter a real UK postcode, like SW1A 2AA"},
        {"field": "nino", "label": "National Insurance number",
         "message": "National Insurance number prefix QQ is not one HMRC issues"},
        {"field": "reason", "label": "Reason for overpayment",
         "message": "Reason for overpayment NOPE is not on the list of reasons"},
        {"field": "outstanding_balance", "label": "Outstanding balance",
         "message": "Outstanding balance must be more than £0.00"},
    ]
    body = response.json()
    assert body == {
        "outcome": "RETURNED_NON_QUALITY",
        "outcome_label": "Returned: missing or invalid data",
        "resent": False,
        "detail": "5 missing or invalid item(s) of data",
        "referral": {
            "id": referral.pk,
            "case_reference": f"C{referral.case_id:07d}",
            "la_code": "E08000035",
            "la_reference": data["la_reference"],
            "channel": "API",
            "received_at": iso(referral.received_at),
            "status": "RETURNED_NON_QUALITY",
            "status_label": "Returned: missing or invalid data",
            "queue_reason": "",
            "faults": faults,
            "customer_name": "Megan O'Neill",
            "nino": "",
            "benefit_type": "HB",
            "is_civil_penalty": False,
            "outstanding_balance_pence": None,
            "recovery_start_date": None,
            "weekly_rate_pence": None,
            "decided_at": iso(referral.received_at),
        },
    }
    notice = Notice.objects.get(case=referral.case)
    assert notice.code == "LARETM" and notice.context["faults"] == faults
    assert referral.submitted["nino"] == "QQ123456A" and Debt.objects.count() == 0


def test_a_returned_referral_may_be_corrected_and_sent_again_under_the_same_reference(la_api, referral_data, award):
    data = referral_data(postcode="XX")
    award(data["nino"])
    assert post_json(la_api, REFERRALS, data).json()["outcome"] == "RETURNED_NON_QUALITY"
    again = post_json(la_api, REFERRALS, dict(data, postcode="LS1 4DY"))
    assert again.status_code == 201 and again.json()["outcome"] == "LOADED"
    assert Referral.objects.count() == 2


def test_an_empty_object_is_recorded_as_non_quality_with_every_required_field_missing(la_api):
    response = post_json(la_api, REFERRALS, {})
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "RETURNED_NON_QUALITY"
    assert [f["field"] for f in body["referral"]["faults"]] == [
        "la_code", "referral_date", "cis_checked_on", "customer_name", "address_line_1", "postcode", "nino",
        "date_of_birth", "la_reference", "benefit", "cause", "classification", "reason", "period_from",
        "period_to", "outstanding_balance"]
    assert body["referral"]["faults"][0] == {"field": "la_code", "label": "LA code", "message": "Enter your LA code"}


# --- Wrong types, wrong bodies, oversized input: a clear 400 or a recorded non-quality referral, never a 500 --

@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"customer_name": ["Megan", "O'Neill"]}, "customer_name", "Customer's name must be text, not list"),
    ({"nino": {"value": "JH123456C"}}, "nino", "National Insurance number must be text, not dict"),
    ({"address_line_1": {"a": [1, 2, {"b": None}]}}, "address_line_1", "Address line 1 must be text, not dict"),
    ({"postcode": 1234}, "postcode", "Enter a real UK postcode, like SW1A 2AA"),
    ({"date_of_birth": 19800331}, "date_of_birth", "Date of birth must be a real date, like 2025-04-07"),
    ({"date_of_birth": False}, "date_of_birth", "Date of birth must be a real date, like 2025-04-07"),
    ({"referral_date": "2025-02-30"}, "referral_date", "Date of referral must be a real date, like 2025-04-07"),
    ({"outstanding_balance": True}, "outstanding_balance",
     "Outstanding balance must be an amount in pounds and pence, like 1234.56"),
    ({"outstanding_balance": [1234.56]}, "outstanding_balance", "Outstanding balance must be text, not list"),
    ({"outstanding_balance": 12.345}, "outstanding_balance",
     "Outstanding balance must be an amount in pounds and pence, like 1234.56"),
    ({"outstanding_balance": 1e300}, "outstanding_balance",
     "Outstanding balance must be an amount in pounds and pence, like 1234.56"),
    ({"outstanding_balance": 10 ** 30}, "outstanding_balance", "Outstanding balance must be £1,000,000.00 or less"),
    ({"amount_recovered": -5}, "amount_recovered", "Amount already recovered by LA must not be negative"),
    ({"civil_penalty": "maybe"}, "civil_penalty", "Civil Penalty must be yes or no"),
    ({"civil_penalty": [True]}, "civil_penalty", "Civil Penalty must be text, not list"),
    ({"benefit": None}, "benefit", "Enter the benefit overpaid"),
    ({"la_reference": "=HYPERLINK(\"x\")"}, "la_reference",
     "LA reference number must not start with =, +, -, @ or a tab (it looks like a spreadsheet formula)"),
    ({"customer_name": "x" * 5000}, "customer_name", "Customer's name must be 200 characters or fewer (it has 5000)"),
])
def test_wrong_types_and_values_are_recorded_as_non_quality_with_the_fault(la_api, referral_data, overrides,
                                                                           field, message):
    response = post_json(la_api, REFERRALS, referral_data(**overrides))
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "RETURNED_NON_QUALITY"
    assert [f for f in body["referral"]["faults"] if f["field"] == field] == [
        {"field": field, "label": _label(field), "message": message}]


def _label(field: str) -> str:
    from liaison.referrals.validation import FIELDS_BY_NAME

    return FIELDS_BY_NAME[field].label


def test_json_numbers_and_booleans_are_accepted_where_the_form_allows_them(la_api, referral_data, award):
    data = referral_data(outstanding_balance=1234.5, amount_recovered=0, civil_penalty=False)
    award(data["nino"])
    response = post_json(la_api, REFERRALS, data)
    assert response.status_code == 201 and response.json()["outcome"] == "LOADED"
    assert response.json()["referral"]["outstanding_balance_pence"] == 123450


def test_what_was_sent_with_an_oversized_field_is_kept_only_in_part(la_api, referral_data):
    response = post_json(la_api, REFERRALS, referral_data(customer_name="y" * 30_000, unknown_key="z" * 20_000))
    assert response.status_code == 201
    referral = Referral.objects.get()
    assert referral.customer_name == ""
    assert referral.submitted["customer_name"] == "y" * 300 and referral.submitted["unknown_key"] == "z" * 300


@pytest.mark.parametrize(("body", "detail"), [
    ("[]", "Send one referral as a JSON object."),
    ('[{"la_code": "E08000035"}]', "Send one referral as a JSON object."),
    ('"a referral"', "Send one referral as a JSON object."),
    ("42", "Send one referral as a JSON object."),
    ("null", "Send one referral as a JSON object."),
    ("{not json", "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ('{"outstanding_balance": NaN}', "JSON parse error - Out of range float values are not JSON compliant: 'NaN'"),
    ("[" * 20_000 + "]" * 20_000, "JSON parse error - the body is nested too deeply."),
    ('{"x": "' + "a" * 70_000 + '"}', "The request body is larger than 64 KB; send one referral a request."),
])
@pytest.mark.parametrize("path", [REFERRALS, VALIDATE])
def test_a_body_that_is_not_one_json_object_is_a_clear_400(la_api, path, body, detail):
    response = post_json(la_api, path, body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert nothing_recorded()


@pytest.mark.parametrize("overrides", [
    {"reason": "OTHER", "reason_other": "Rent\x00arrears"},
    {"civil_penalty": "yes", "civil_penalty_overpayment_reference": "LDS/1\x00"},
    {"customer_name": "Megan\x00"},
    {"address_line_2": ["Flat\x00"]},
    {"notes\x00": "a key with a NUL"},
])
@pytest.mark.parametrize("path", [REFERRALS, VALIDATE])
def test_a_nul_character_anywhere_is_a_clear_400_and_nothing_is_recorded(la_api, referral_data, award, path,
                                                                         overrides):
    """PostgreSQL cannot store U+0000 in text or JSON: it was a 500 there, whichever field held it."""
    data = referral_data(**overrides)
    award(data["nino"])
    response = post_json(la_api, path, data)
    assert response.status_code == 400
    assert response.json() == {"detail": "The referral contains a NUL character (\\u0000), which no field may hold."}
    assert nothing_recorded()


def test_a_nul_character_typed_into_the_web_form_is_a_fault_to_fix_and_nothing_is_recorded(client, la_officer,
                                                                                            referral_data, award):
    data = referral_data(reason="OTHER", reason_other="Rent\x00arrears", customer_name="Megan\x00")
    award(data["nino"])
    post = {k: v for k, v in data.items() if k not in ("referral_date", "cis_checked_on", "date_of_birth",
                                                       "period_from", "period_to")}
    for name in ("referral_date", "cis_checked_on", "date_of_birth", "period_from", "period_to"):
        day = dt.date.fromisoformat(data[name])
        post.update({f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year})
    client.force_login(la_officer)
    response = client.post("/referrals/new/", post)
    assert response.status_code == 200
    assert response.context["errors"]["reason_other"] == "Remove the control character (NUL) from this answer"
    assert response.context["errors"]["customer_name"].startswith("Customer")  # its own fault comes first
    assert nothing_recorded()


def test_invalid_utf8_is_a_clear_400(la_api):
    response = la_api.post(REFERRALS, b'{"customer_name": "\xff\xfe"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert nothing_recorded()


def test_a_form_encoded_body_is_refused_as_unsupported(la_api, referral_data):
    response = la_api.post(REFERRALS, referral_data())
    assert response.status_code == 415
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data')
    assert nothing_recorded()


# --- Validating without sending -----------------------------------------------------------------------------

def test_validate_says_a_good_referral_is_valid_and_records_nothing(la_api, referral_data):
    response = post_json(la_api, VALIDATE, referral_data())
    assert response.status_code == 200
    assert response.json() == {"valid": True, "faults": []}
    assert nothing_recorded()


def test_validate_lists_every_fault_by_field_and_records_nothing(la_api, referral_data):
    response = post_json(la_api, VALIDATE, referral_data(la_code="W06000015", nino=["JH"], classification="bad"))
    assert response.status_code == 200
    assert response.json() == {"valid": False, "faults": [
        {"field": "nino", "label": "National Insurance number", "message": "National Insurance number must be text, not list"},
        {"field": "la_code", "label": "LA code", "message": "LA code W06000015 is not your authority's code (E08000035)"},
        {"field": "classification", "label": "Overpayment classification",
         "message": "Overpayment classification must be one of: error, fraud"},
    ]}
    assert nothing_recorded()


# --- Reading ------------------------------------------------------------------------------------------------

def test_one_referral_is_the_same_json_as_when_it_was_made(la_api, referral_data, award):
    data = referral_data()
    award(data["nino"])
    created = post_json(la_api, REFERRALS, data).json()["referral"]
    response = la_api.get(f"{REFERRALS}{created['id']}/")
    assert response.status_code == 200
    assert response.json() == created


def test_another_las_referral_is_404_exactly_like_one_that_does_not_exist(la_api, other_la_api, referral_data):
    created = post_json(la_api, REFERRALS, referral_data()).json()["referral"]
    theirs = other_la_api.get(f"{REFERRALS}{created['id']}/")
    missing = other_la_api.get(f"{REFERRALS}{created['id'] + 1000}/")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json() == {"detail": "No such referral"}
    assert b"Megan" not in theirs.content and created["nino"].encode() not in theirs.content


def test_the_list_holds_only_the_callers_own_referrals_newest_first(la_api, other_la_api, porth_api, referral_data,
                                                                   other_la, make_user):
    from liaison.referrals.models import Channel
    from liaison.referrals.services import referrals_receive

    first = post_json(la_api, REFERRALS, referral_data()).json()["referral"]
    second = post_json(la_api, REFERRALS, referral_data()).json()["referral"]
    cardiff = referral_data(la_code=other_la.code, la_reference="CDF/1", customer_name="Dylan Cardiff")
    referrals_receive(la=other_la, channel=Channel.API, rows=[(None, cardiff)],
                      actor=make_user("LA_OFFICER", other_la))

    mine = la_api.get(REFERRALS).json()
    assert mine == {"next": None, "previous": None, "results": [second, first]}
    theirs = other_la_api.get(REFERRALS).json()["results"]
    assert [r["la_reference"] for r in theirs] == ["CDF/1"]
    assert "Megan" not in json.dumps(theirs)
    assert {r["la_code"] for r in porth_api.get(REFERRALS).json()["results"]} == {"E08000035", "W06000015"}


def test_the_list_is_filtered_by_status_and_la_reference(la_api, referral_data, award):
    good = referral_data()
    award(good["nino"])
    post_json(la_api, REFERRALS, good)
    post_json(la_api, REFERRALS, referral_data(postcode="XX", la_reference="LDS/BAD/1"))

    returned = la_api.get(REFERRALS, {"status": "RETURNED_NON_QUALITY"}).json()["results"]
    assert [r["la_reference"] for r in returned] == ["LDS/BAD/1"]
    by_ref = la_api.get(REFERRALS, {"la_reference": good["la_reference"]}).json()["results"]
    assert [r["status"] for r in by_ref] == ["LOADED"]
    assert la_api.get(REFERRALS, {"la_reference": "x" * 5000}).json()["results"] == []


def test_an_unknown_status_filter_is_a_clear_400(la_api):
    response = la_api.get(REFERRALS, {"status": "PAID"})
    assert response.status_code == 400
    assert response.json() == {"status": [("Unknown status; use one of QUEUED, LOADED, RETURNED_NON_QUALITY, "
                                           "RETURNED_NO_BENEFIT, NOT_LOADED_PLAN, NOT_LOADED_DUPLICATE")]}


def test_the_list_pages_by_cursor(la_api, referral_data, monkeypatch):
    from liaison.referrals import api

    monkeypatch.setattr(api.ReferralListCreate.pagination_class, "page_size", 2)
    refs = [post_json(la_api, REFERRALS, referral_data()).json()["referral"]["la_reference"] for _ in range(5)]
    seen, url = [], REFERRALS
    while url:
        page = la_api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [r["la_reference"] for r in page["results"]]
        url = page["next"]
    assert seen == list(reversed(refs))
