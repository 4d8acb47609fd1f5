"""Resident identity numbers (公民身份号码, GB 11643-1999).

An 18-character number: six digits of the area where it was first issued,
eight of the birth date, three of order and a check character (a digit or X).

python-stdnum's ``cn.ric.validate`` also refuses a number whose area code did
not yet exist in the birth year. Area codes are assigned to the place where the
number is issued, and people born before a district was created are given that
district's code when they register there: every 3308xx code dates from 1985 or
later, so that check refused every Quzhou resident born before 1985. Here the
area code must only be one that exists or existed, in any year.
"""

from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric

LENGTH = 18


def compact(raw: str) -> str:
    """The number without spaces, with a capital X."""
    return "".join((raw or "").split()).upper()


@lru_cache(maxsize=8192)  # a registry import checks 100,000 numbers from a few dozen areas
def known_area(code: str) -> bool:
    """Whether the six-digit area code is or was an administrative area (any year)."""
    info = {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    return "county" in info


def with_check_character(body: str) -> str:
    """The whole number made of its first 17 digits ``body`` and their check character."""
    # python-stdnum computes the check of a whole number and ignores its last character.
    return body + ric.calc_check_digit(f"{body}0")


def birth_date_of(number: str) -> date | None:
    """The birth date written in a number, or None when it is not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_id_number(raw: str, *, birth_date: date | None = None, today: date | None = None) -> str:
    """Returns the number in its compact form, or raises ``ValidationError`` saying what is wrong.

    Checks length, format, check character, a real birth date not in the future,
    that it matches ``birth_date`` when given, and a known area code.
    """
    number = compact(raw)
    if len(number) != LENGTH:
        raise ValidationError(
            _("An identity number has 18 characters; you entered %(count)s."),
            code="invalid_length",
            params={"count": len(number)},
        )
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise ValidationError(_("An identity number is 17 digits followed by a digit or X."), code="invalid_format")
    if ric.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("This is not a valid resident identity number. Check each digit and the last character."),
            code="invalid_checksum",
        )
    born = birth_date_of(number)
    if born is None:
        raise ValidationError(
            _("The birth date in this identity number (digits 7 to 14) is not a real date."),
            code="invalid_birth_date",
        )
    if born > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in this identity number (digits 7 to 14) is in the future."), code="future_birth_date"
        )
    if birth_date is not None and born != birth_date:
        raise ValidationError(
            _("The date of birth does not match the one in your identity number (%(date)s)."),
            code="birth_date_mismatch",
            params={"date": born.isoformat()},
        )
    if not known_area(number[:6]):
        raise ValidationError(
            _("The first six digits (%(area)s) are not the code of an area in China. Check them."),
            code="unknown_area",
            params={"area": number[:6]},
        )
    return number
