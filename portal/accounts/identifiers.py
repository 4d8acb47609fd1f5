"""Login identifiers: a mainland mobile number or an e-mail address."""

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII only: \d also matches other scripts' digits


def normalise_mobile(raw: str) -> str:
    """The number as 11 ASCII digits, whatever keyboard typed it.

    NFKC turns full-width digits, spaces and signs (``１３８ ００１３ ８０００``,
    ``＋８６``) into their ASCII forms, so that every lookup sees one spelling.
    """
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 1, for example 13812345678."),
            code="invalid_mobile",
        )


@dataclass(frozen=True)
class Identifier:
    kind: str  # "email" or "mobile"
    value: str


def parse_identifier(raw: str) -> Identifier:
    """Turns what a person typed into a normalised e-mail or mobile number."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in text:
        value = text.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("Enter a valid e-mail address, for example name@example.com."), code="invalid_email"
            ) from None
        return Identifier("email", value)
    value = normalise_mobile(text)
    if not value:
        raise ValidationError(_("Enter your mobile number or e-mail address."), code="required")
    if not value.isdigit():
        raise ValidationError(
            _("Enter a mobile number (digits only) or an e-mail address (with @)."), code="invalid_identifier"
        )
    validate_mobile(value)
    return Identifier("mobile", value)


def masked_identifier(identifier: Identifier) -> str:
    """138****8000 or l***@example.com: enough to recognise, not to harvest (pages and log lines)."""
    value = identifier.value
    if identifier.kind == "mobile":
        return f"{value[:3]}****{value[-4:]}"
    name, _at, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"
