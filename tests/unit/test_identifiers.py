"""Container (ISO 6346) and ship (IMO) numbers: `check_container`, `suggest_container`,
`check_imo`. python-stdnum is the independent oracle for the reference numbers."""

from __future__ import annotations

import pytest
from stdnum import imo, iso6346

from feeds.identifiers import check_container, check_imo, suggest_container

REAL_CONTAINERS = ["APZU4812090", "CSQU3054383", "MSKU9070323"]
NOT_ISO6346 = "not an ISO 6346 container number"


@pytest.mark.parametrize("number", REAL_CONTAINERS)
def test_reference_container_numbers_are_valid_according_to_stdnum(number):
    assert iso6346.is_valid(number)
    assert iso6346.calc_check_digit(number[:10]) == number[10]


@pytest.mark.parametrize("number", ["9321483", "1234567"])
def test_reference_imo_numbers_are_valid_according_to_stdnum(number):
    assert imo.is_valid(number)


# --------------------------------------------------------------------------------------------
# check_container
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", REAL_CONTAINERS)
def test_accepts_real_container_number(number):
    assert check_container(number) == (number, None)


@pytest.mark.parametrize(("written", "canonical"), [
    ("apzu4812090", "APZU4812090"),
    ("apzu 481209 0", "APZU4812090"),
    ("CSQU 305438 3", "CSQU3054383"),
    ("MSKU-907032-3", "MSKU9070323"),
    ("  msku 9070323  ", "MSKU9070323"),
])
def test_normalises_container_number_to_upper_case_without_spaces_or_dashes(written, canonical):
    assert check_container(written) == (canonical, None)


@pytest.mark.parametrize(("wrong", "right"), [
    ("APZU4812091", "APZU4812090"),
    ("CSQU3054384", "CSQU3054383"),
    ("msku 907032 0", "MSKU9070323"),
])
def test_rejects_container_with_wrong_check_digit_and_suggests_fix(wrong, right):
    canonical, problem = check_container(wrong)
    assert canonical is None
    assert "check digit" in problem
    assert f"did you mean {right}?" in problem
    assert iso6346.is_valid(right)


@pytest.mark.parametrize("number", [
    pytest.param("APZU481209", id="10-characters"),
    pytest.param("APZU48120900", id="12-characters"),
    pytest.param("", id="empty"),
    pytest.param("APZA4812090", id="category-A-not-U-J-Z"),
    pytest.param("APZU48120A0", id="letter-in-serial"),
    pytest.param("APZU481209A", id="letter-as-check-digit"),
    pytest.param("4812090APZU", id="digits-first"),
    pytest.param("APZU_4812090", id="underscore-separator"),
])
def test_rejects_container_number_of_wrong_format(number):
    canonical, problem = check_container(number)
    assert canonical is None
    assert problem.startswith(NOT_ISO6346)


@pytest.mark.parametrize("body", [
    pytest.param("123U481209", id="digits-as-owner-code"),
    pytest.param("AP1U481209", id="digit-in-owner-code"),
    pytest.param("APZR481209", id="category-R"),
])
def test_rejects_owner_code_outside_its_stated_rule_even_with_right_check_digit(body):
    """BUG: the module's own rule is '4 letters ending in U, J or Z' (ISO 6346: a 3-letter owner
    code and category U, J or Z), but python-stdnum's pattern `\\w{3}(U|J|Z|R)` lets digits and R
    through, so these are accepted as canonical container numbers."""
    number = body + iso6346.calc_check_digit(body)
    canonical, problem = check_container(number)
    assert canonical is None, f"{number} accepted as a container number"
    assert problem.startswith(NOT_ISO6346)


@pytest.mark.parametrize("number", [
    pytest.param("AP_U4812090", id="underscore-in-owner-code"),
    pytest.param("ÉPZU4812090", id="accented-letter-in-owner-code"),
    pytest.param("APZU४८१२०९०", id="devanagari-digits-in-serial"),
])
def test_check_container_returns_a_problem_instead_of_raising_on_non_latin_characters(number):
    """BUG: these pass stdnum's `\\w`/`\\d` format check, then its check-digit alphabet lookup
    raises ValueError('substring not found'), which check_container does not catch."""
    canonical, problem = check_container(number)
    assert canonical is None
    assert problem


# --------------------------------------------------------------------------------------------
# suggest_container
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("wrong", "right"), [
    ("APZU4812091", "APZU4812090"),
    ("CSQU3054389", "CSQU3054383"),
    ("MSKU9070320", "MSKU9070323"),
    ("apzu 481209 7", "APZU4812090"),
    ("csqu-305438-0", "CSQU3054383"),
])
def test_suggest_container_corrects_only_the_check_digit(wrong, right):
    assert suggest_container(wrong) == right


@pytest.mark.parametrize("number", REAL_CONTAINERS + ["apzu 481209 0"])
def test_suggest_container_gives_nothing_for_a_valid_number(number):
    assert suggest_container(number) is None


@pytest.mark.parametrize("number", [
    pytest.param("APZU481209", id="too-short"),
    pytest.param("APZU48120901", id="too-long"),
    pytest.param("", id="empty"),
    pytest.param("APZA4812091", id="category-A-cannot-be-fixed-by-check-digit"),
    pytest.param("APZU48120A1", id="letter-in-serial"),
])
def test_suggest_container_gives_nothing_when_more_than_the_check_digit_is_wrong(number):
    assert suggest_container(number) is None


@pytest.mark.parametrize("number", REAL_CONTAINERS)
def test_every_wrong_check_digit_gets_the_same_suggestion_as_check_container(number):
    for digit in "0123456789":
        wrong = number[:10] + digit
        if wrong == number:
            continue
        assert suggest_container(wrong) == number
        assert f"did you mean {number}?" in check_container(wrong)[1]


# --------------------------------------------------------------------------------------------
# check_imo
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["9321483", "1234567"])
def test_accepts_valid_imo_number(number):
    assert check_imo(number) == (number, None)


@pytest.mark.parametrize("written", ["IMO 9321483", "IMO9321483", "imo 9321483", " 9321483 "])
def test_accepts_imo_prefix_and_returns_seven_digits(written):
    assert check_imo(written) == ("9321483", None)


@pytest.mark.parametrize("number", ["9321484", "1234568", "IMO 9321484"])
def test_rejects_imo_number_with_wrong_check_digit(number):
    assert check_imo(number) == (None, "wrong IMO check digit")


@pytest.mark.parametrize("number", [
    pytest.param("932148", id="6-digits"),
    pytest.param("93214830", id="8-digits"),
    pytest.param("", id="empty"),
    pytest.param("93214S3", id="letter-among-digits"),
    pytest.param("COSCO ARIES", id="ship-name"),
    pytest.param("MMSI 413000000", id="mmsi-not-imo"),
])
def test_rejects_string_that_is_not_an_imo_number(number):
    canonical, problem = check_imo(number)
    assert canonical is None
    assert problem == "not an IMO number (7 digits with a check digit)"
