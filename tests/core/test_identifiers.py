import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.core.identifiers import _without_spaces, nino_fault, normalise_nino, normalise_postcode, postcode_fault


@pytest.mark.parametrize("nino", ["AB123456C", "ab 12 34 56 c", "JH123456A", "CE000001D", "ZY999999B"])
def test_valid_ninos(nino):
    assert nino_fault(nino) is None


@pytest.mark.parametrize("nino, reason", [
    ("QQ123456A", "not one HMRC issues"),  # the usual example: Q is never first or second
    ("DA123456A", "not one HMRC issues"),  # D never first
    ("AD123456A", "not one HMRC issues"),  # D never second
    ("AO123456A", "not one HMRC issues"),  # O never second
    ("BG123456A", "never issued"),
    ("GB123456A", "never issued"),
    ("NK123456A", "never issued"),
    ("KN123456A", "never issued"),
    ("NT123456A", "never issued"),
    ("TN123456A", "never issued"),
    ("ZZ123456A", "never issued"),
    ("OO123456A", "never issued"),  # administrative
    ("PP123456A", "never issued"),
    ("AB123456E", "end in a letter A, B, C or D"),
    ("AB12345C", "2 letters, 6 numbers"),
    ("A1234567C", "2 letters, 6 numbers"),
    ("", "Enter"),
])
def test_invalid_ninos_say_why(nino, reason):
    assert reason in nino_fault(nino)


def test_nino_is_normalised():
    assert normalise_nino(" ab 12 34 56 c ") == "AB123456C"


@pytest.mark.parametrize("postcode, normal", [
    ("sw1a2aa", "SW1A 2AA"), ("LS1 4DY", "LS1 4DY"), ("g1 1xq", "G1 1XQ"), ("CF10 1EP", "CF10 1EP"),
    ("EH1 1YZ", "EH1 1YZ"), ("M1 1AE", "M1 1AE"), ("B33 8TH", "B33 8TH"), ("W1A 0AX", "W1A 0AX"),
])
def test_valid_postcodes(postcode, normal):
    assert postcode_fault(postcode) is None
    assert normalise_postcode(postcode) == normal


@pytest.mark.parametrize("postcode", ["NOWHERE", "12345", "LS1", "QS1 1AA", "LS1 4CY", "", "SW1A 2AAA"])
def test_invalid_postcodes(postcode):
    assert postcode_fault(postcode) is not None


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u2007\u2028\u3000"))))
def test_spaces_are_taken_out_exactly_as_a_regular_expression_would(text):
    """The NINO and postcode are compacted with str.split (quicker): the same as re.sub(r"\\s+", "", …)."""
    assert _without_spaces(text) == re.sub(r"\s+", "", text)
