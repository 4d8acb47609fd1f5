"""The second factor for staff: a TOTP app (django-otp), with ten one-time recovery codes.

Every staff role (caseworker, supervisor, policy administrator) and every
account that reaches the admin site types a 6-digit code after the password.
Until the account has an authenticator, the only pages it may open are the
enrolment page and log out (``TwoFactorRequiredMiddleware``).
"""

import base64
import unicodedata

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.roles import Role

STAFF_ROLES = frozenset({Role.CASEWORKER.value, Role.SUPERVISOR.value, Role.POLICY_ADMIN.value})
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def two_factor_required(user) -> bool:
    """Staff of any role, and whoever may open the admin site."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or user.role_names() & STAFF_ROLES)


def authenticator_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_is_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_verified", lambda: False)())


def enrolment_device(*, user) -> TOTPDevice:
    """The authenticator being set up: the same one on every visit until confirmed,
    so that a QR code scanned before a reload still works."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG image in a data: URI (allowed by img-src; no script, no CDN)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalised_code(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").replace(" ", "").replace("-", "").strip().lower()


@transaction.atomic
def authenticator_confirm(*, user, code: str) -> list[str]:
    """Confirms the authenticator being set up with a code it shows; returns the recovery codes."""
    device = enrolment_device(user=user)
    code = normalised_code(code)
    if not (len(code) == 6 and code.isdigit() and code.isascii()):
        raise ValidationError(_("The code has 6 digits, for example 042917."), code="format")
    if not device.verify_token(code):
        raise ValidationError(
            _("That code is not the one your app shows now. Check the time on your phone and try the new code."),
            code="wrong",
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user) -> list[str]:
    """Ten new one-time codes; earlier ones stop working. Only the person sees them, once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_check(*, user, code: str):
    """The device that accepts ``code``: the authenticator (6 digits) or a recovery code (used up)."""
    code = normalised_code(code)
    if len(code) == 6 and code.isdigit() and code.isascii():
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes in a row. Wait a minute, then type the code your app shows."),
                code="throttled",
            )
        with transaction.atomic():
            if device.verify_token(code):
                return device
    raise ValidationError(
        _("That code is not right. Type the 6 digits your app shows now, or one of your recovery codes."),
        code="wrong",
    )


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def mark_verified(session, device) -> None:
    """What ``django_otp.login`` writes: this session passed the second factor with ``device``."""
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
