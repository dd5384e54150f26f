from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.core.money import MoneyError, format_pence, parse_pounds


@pytest.mark.parametrize("text, pence", [
    ("1234.56", 123456), ("£1,234.56", 123456), ("12", 1200), ("0.1", 10), ("0.01", 1), (" 7.50 ", 750),
    (12, 1200), (12.5, 1250), (Decimal("3.33"), 333), ("-4.00", -400),
])
def test_parse_pounds_is_exact(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize("text", ["1.234", "12,34.5.6", "abc", "", None, True, "1e3", "£", [1]])
def test_parse_pounds_refuses_what_is_not_an_amount(text):
    with pytest.raises(MoneyError):
        parse_pounds(text)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_formatting_and_parsing_round_trip_every_penny(pence):
    assert parse_pounds(format_pence(pence).replace("£", "")) == pence


def test_format_pence():
    assert format_pence(123456789) == "£1,234,567.89"
    assert format_pence(5) == "£0.05"
    assert format_pence(-100) == "-£1.00"
