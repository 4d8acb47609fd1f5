"""Personal numbers as staff first see them: enough to recognise, not enough to rebuild.

An identity number is six digits of area, eight of birth date, three of order
and a check character. Staff pages show only its last three characters, and
no page beside it shows the birth date (the case page shows the age at
submission, which the eligibility check states anyway). With the six area codes
of Quzhou, the year of birth dates that age allows and the ten first order
digits left open, about 2,000 numbers agree with everything a page shows
(``tests/applications/test_masking.py`` counts them). The last four would fix
the order code and the check character and leave about 200.
The full number is shown only after a reveal with a reason, which is audited.
"""

ID_NUMBER_VISIBLE = 3


def mask_id_number(value: str) -> str:
    """``330802199905021230`` → ``***************230``."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{'*' * (len(value) - ID_NUMBER_VISIBLE)}{value[-ID_NUMBER_VISIBLE:]}"


def mask_bank_account(value: str) -> str:
    """``6222021234567890123`` → ``6222 **** **** 0123``."""
    digits = "".join((value or "").split())
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"
