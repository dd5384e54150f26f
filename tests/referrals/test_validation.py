"""The National Referral form's checks, as a CC Porth officer would apply them. Pure: no database."""

import datetime as dt

import pytest

from liaison.referrals.validation import COLUMNS, validate

TODAY = dt.date(2025, 6, 16)
REASONS = {"EARNINGS", "OTHER", "CAPITAL"}


def good(**overrides):
    data = {
        "la_code": "E08000035", "referral_date": "2025-06-13", "cis_checked_on": "2025-06-12",
        "customer_name": "Megan O'Neill", "address_line_1": "12 Station Road", "address_line_3": "Leeds",
        "postcode": "ls1 4dy", "nino": "jh 12 34 56 c", "date_of_birth": "1980-03-31", "la_reference": "LDS/OP/1",
        "benefit": "HB", "civil_penalty": "no", "cause": "failure_to_disclose", "classification": "error",
        "reason": "EARNINGS", "period_from": "2024-01-01", "period_to": "2024-06-30", "amount_recovered": "0",
        "outstanding_balance": "1,234.56",
    }
    data.update(overrides)
    return data


def faults(**overrides):
    clean = validate(good(**overrides), la_code="E08000035", today=TODAY, reason_codes=REASONS)
    return {(f.field, f.message) for f in clean.faults}


def fields(**overrides):
    return {field for field, _ in faults(**overrides)}


def test_a_good_referral_has_no_faults_and_is_normalised():
    clean = validate(good(), la_code="E08000035", today=TODAY, reason_codes=REASONS)
    assert clean.faults == []
    assert (clean.nino, clean.postcode, clean.outstanding_balance_pence, clean.amount_recovered_pence) == \
        ("JH123456C", "LS1 4DY", 123456, 0)
    assert (clean.cause, clean.classification, clean.benefit_type, clean.reason_code) == \
        ("failure_to_disclose", "ERROR", "HB", "EARNINGS")
    assert clean.period_from == dt.date(2024, 1, 1)


def test_every_fault_is_reported_together_in_plain_words():
    found = faults(nino="QQ123456A", postcode="XX", outstanding_balance="abc", cause="", classification="both",
                   period_from="2024-07-01", period_to="2024-06-01")
    assert {f for f, _ in found} == {"nino", "postcode", "outstanding_balance", "cause", "classification", "period_to"}
    assert ("cause", "Enter the cause of overpayment") in found
    assert ("classification", "Overpayment classification must be one of: error, fraud") in found


def test_every_required_field_missing_is_named():
    data = {name: "" for name in COLUMNS}
    clean = validate(data, la_code="E08000035", today=TODAY, reason_codes=REASONS)
    named = {f.field for f in clean.faults}
    assert named == {"la_code", "referral_date", "cis_checked_on", "customer_name", "address_line_1", "postcode",
                     "nino", "date_of_birth", "la_reference", "benefit", "cause", "classification", "reason",
                     "period_from", "period_to", "outstanding_balance"}


@pytest.mark.parametrize("overrides, field", [
    ({"referral_date": "2025-06-17"}, "referral_date"),            # tomorrow
    ({"cis_checked_on": "2025-06-14"}, "cis_checked_on"),          # after the referral date
    ({"date_of_birth": "2025-06-16"}, "date_of_birth"),            # not in the past
    ({"date_of_birth": "2015-01-01"}, "date_of_birth"),            # a child
    ({"period_to": "2025-07-01"}, "period_to"),                    # the future
    ({"period_from": "2024-07-01", "period_to": "2024-06-30"}, "period_to"),
    ({"referral_date": "2025-02-30"}, "referral_date"),            # not a real date
    ({"outstanding_balance": "0.00"}, "outstanding_balance"),
    ({"outstanding_balance": "-5"}, "outstanding_balance"),
    ({"outstanding_balance": "12.345"}, "outstanding_balance"),    # not pence
    ({"amount_recovered": "-1"}, "amount_recovered"),
    ({"outstanding_balance": "2000000"}, "outstanding_balance"),
    ({"benefit": "UC"}, "benefit"),
    ({"benefit": "JSA"}, "benefit"),
    ({"reason": "MOON"}, "reason"),
    ({"reason": "OTHER", "reason_other": ""}, "reason_other"),
    ({"la_code": "S12000049"}, "la_code"),
    ({"customer_name": "=cmd|' /C calc'!A0"}, "customer_name"),
    ({"address_line_1": "@SUM(1+1)"}, "address_line_1"),
    ({"customer_name": "R2D2"}, "customer_name"),
    ({"customer_name": "x" * 201}, "customer_name"),
    ({"la_reference": "LDS OP 1"}, "la_reference"),
    ({"civil_penalty": "maybe"}, "civil_penalty"),
    ({"civil_penalty": "yes", "civil_penalty_overpayment_reference": ""}, "civil_penalty_overpayment_reference"),
    ({"civil_penalty": "yes", "civil_penalty_overpayment_reference": "LDS/OP/1"},
     "civil_penalty_overpayment_reference"),
    ({"nino": ["JH123456C"]}, "nino"),                             # wrong JSON type
    ({"customer_name": {"a": 1}}, "customer_name"),
])
def test_each_check(overrides, field):
    assert field in fields(**overrides)


def test_other_reason_needs_text_and_keeps_it():
    clean = validate(good(reason="other", reason_other="Landlord fraud"), la_code="E08000035", today=TODAY,
                     reason_codes=REASONS)
    assert clean.faults == [] and clean.reason_code == "OTHER" and clean.reason_other == "Landlord fraud"


def test_amounts_may_be_json_numbers_and_booleans_are_yes_no():
    clean = validate(good(outstanding_balance=99.5, amount_recovered=0, civil_penalty=False), la_code="E08000035",
                     today=TODAY, reason_codes=REASONS)
    assert clean.faults == [] and clean.outstanding_balance_pence == 9950


def test_dates_in_uk_order_are_understood():
    clean = validate(good(referral_date="13/06/2025"), la_code="E08000035", today=TODAY, reason_codes=REASONS)
    assert clean.referral_date == dt.date(2025, 6, 13)
