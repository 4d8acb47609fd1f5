"""Personal numbers as staff first see them: enough to recognise, not enough to copy."""


def mask_id_number(value: str) -> str:
    """``330802199905021230`` → ``3308**********1230``."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_bank_account(value: str) -> str:
    """``6222021234567890123`` → ``6222 **** **** 0123``."""
    digits = "".join((value or "").split())
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"
