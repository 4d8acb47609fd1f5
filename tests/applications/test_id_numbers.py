"""Resident identity numbers: every Quzhou resident of working age can apply, whatever their birth year."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.cn import ric

from applications.forms import PersonalForm
from applications.id_numbers import validate_id_number

# Quzhou's districts and county-level cities (catalogue, section 2), and the
# city's own code; all of them date from 1985 or later in the area-code tables.
QUZHOU_AREAS = ("330800", "330802", "330803", "330822", "330824", "330825", "330881")
TODAY = date(2026, 12, 1)


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def number_for(area: str, born: date, order: str = "123") -> str:
    return with_check_digit(f"{area}{born:%Y%m%d}{order}")


# The report quoted 330802198103151234; its check character is in fact 1 (a 4
# is refused for the checksum below). With the right one, python-stdnum refused
# it because 330802 dates from 1985 in its tables ("InvalidComponent").
def test_the_reported_kecheng_resident_born_1981_is_accepted():
    assert validate_id_number("330802198103151231", birth_date=date(1981, 3, 15), today=TODAY) == ("330802198103151231")


@pytest.mark.parametrize("area", QUZHOU_AREAS)
@pytest.mark.parametrize("year", range(1950, 2009))
def test_people_born_1950_to_2008_in_every_quzhou_area(area, year):
    born = date(year, 2, 28)
    number = number_for(area, born)
    assert validate_id_number(number, birth_date=born, today=TODAY) == number


def test_historical_area_codes_are_known():
    # 衢县 (330821, 1985–2001) and 江山县 (330823, 1985–1987) no longer exist, but their numbers do.
    for area in ("330821", "330823"):
        number = number_for(area, date(1960, 6, 1))
        assert validate_id_number(number, today=TODAY) == number


def test_lower_case_x_and_spaces_are_accepted():
    number = next(
        candidate
        for order in range(1000)
        if (candidate := number_for("330802", date(1975, 1, 9), f"{order:03d}")).endswith("X")
    )
    assert validate_id_number(" " + number[:6] + " " + number[6:].lower(), today=TODAY) == number


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("33080219810315123", "invalid_length"),
        ("3308021981031512315", "invalid_length"),
        ("33080219810315A234", "invalid_format"),
        ("330802198103151234", "invalid_checksum"),
        (with_check_digit("33080219810231123"), "invalid_birth_date"),  # 31 February
        (with_check_digit("33080220270101123"), "future_birth_date"),
        (with_check_digit("99080219810315123"), "unknown_area"),
    ],
)
def test_what_is_wrong_is_said(raw, code):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(raw, today=TODAY)
    assert caught.value.code == code


def test_a_birth_date_that_does_not_match_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_id_number("330802198103151231", birth_date=date(1981, 3, 16), today=TODAY)
    assert caught.value.code == "birth_date_mismatch"


def personal(**changes):
    data = {
        "full_name": "李建国",
        "id_number": "330802198103151231",
        "birth_date": "1981-03-15",
        "mobile": "13800138000",
        "address": "衢州市柯城区荷花街道 1 号",
    }
    return {**data, **changes}


def test_the_personal_step_accepts_a_45_year_old_from_kecheng():
    form = PersonalForm(personal())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == "330802198103151231"


def test_the_personal_step_shows_a_mismatched_birth_date_at_the_date():
    form = PersonalForm(personal(birth_date="1981-03-16"))
    assert not form.is_valid()
    assert "birth_date" in form.errors
    assert "id_number" not in form.errors


def test_an_empty_personal_step_says_what_each_field_needs():
    with translation.override("en"):
        form = PersonalForm({})
        assert not form.is_valid()
        errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    assert errors["full_name"] == ["Enter your full name as on your identity card."]
    assert errors["id_number"] == ["Enter your resident identity number."]
    assert errors["birth_date"] == ["Enter your date of birth."]
    assert errors["mobile"] == ["Enter your mobile number."]
    assert errors["address"] == ["Enter the address where you live now."]
    assert "This field is required." not in str(errors)
