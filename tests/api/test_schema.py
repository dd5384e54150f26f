"""The OpenAPI schema is served, is valid OpenAPI, and the API keeps to it under generated input (schemathesis)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from liaison.notices.models import Notice
from liaison.partners.models import ApiToken
from liaison.referrals.models import Channel, ImportBatch, Referral
from liaison.referrals.services import referrals_receive

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/?format=json"


def test_the_schema_is_served_and_is_valid_openapi(client, refdata):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    schema = response.json()
    validate_schema(schema)  # raises jsonschema.ValidationError if it is not OpenAPI 3
    assert schema["info"] == {"title": "Liaison API", "version": "1.0.0",
                              "description": "Housing Benefit overpayment referrals from Local Authorities to "
                                             "DWP Debt Management."}
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/api/v1/referrals/": ["get", "post"],
        "/api/v1/referrals/validate/": ["post"],
        "/api/v1/referrals/{id}/": ["get"],
        "/api/v1/imports/": ["post"],
        "/api/v1/imports/{id}/": ["get"],
        "/api/v1/imports/{id}/rows/": ["get"],
        "/api/v1/imports/{id}/carry-on/": ["post"],
        "/api/v1/notices/": ["get"],
        "/api/v1/notices/{id}/pdf/": ["get"],
        "/api/v1/changes/": ["get", "post"],
        "/api/v1/changes/{id}/": ["get"],
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token issued to your LA's system."}
    referral_input = schema["components"]["schemas"]["ReferralInputRequest"]
    assert set(referral_input["required"]) >= {"la_code", "nino", "customer_name", "outstanding_balance"}


@pytest.fixture
def wsgi_app():
    """Django's own WSGI app, called in-process; the test's transaction stays open across its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_generated_requests_never_get_a_server_error_and_answers_match_the_schema(
        wsgi_app, la, la_officer, referral_data, award):
    """Schemathesis generates requests for every operation in the schema (the changes API's too), valid and
    invalid, as Leeds' system."""
    data = referral_data()
    award(data["nino"])
    [result] = referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=la_officer)
    referral = Referral.objects.get(pk=result.referral_id)
    notice = Notice.objects.get(case=referral.case)
    _, token = ApiToken.issue(user=la_officer, name="schemathesis")
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13
    from liaison.casework.services import change_notify

    change = change_notify(la=la, actor=la_officer, channel="API", now=timezone.now(), data={
        "customer_name": referral.customer_name, "nino": referral.nino, "la_reference": referral.la_reference,
        "change": "other", "la_told_on": timezone.localdate().isoformat(), "details": "x", "officer_name": "A"})
    known_ids = {"/api/v1/referrals/{id}/": referral.pk, "/api/v1/notices/{id}/pdf/": notice.pk,
                 "/api/v1/changes/{id}/": change.pk}
    calls = 0

    for operation in operations:
        strategies = [operation.as_strategy(generation_mode=mode)
                      for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]
        if operation.path in known_ids:  # also ask for an object that exists, not only for guessed ids
            strategies.append(operation.as_strategy(path_parameters={"id": known_ids[operation.path]}))

        for strategy in strategies:
            @hypothesis.given(case=strategy)
            @hypothesis.settings(max_examples=15, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(hypothesis.HealthCheck),
                                 phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
            def check(case):
                nonlocal calls
                response = case.call(headers=headers)
                calls += 1
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            check()

    assert calls >= 100
    assert ImportBatch.objects.filter(la=la).count() == ImportBatch.objects.count()  # nothing for another LA
