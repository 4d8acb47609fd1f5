"""Writes to accounts: registration and its confirmation, staff accounts, language, password reset."""

import contextlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.accounts.backends import find_user_by_identifier
from portal.accounts.identifiers import Identifier, masked_identifier
from portal.accounts.models import ConfirmationCode
from portal.accounts.roles import ADMIN_SITE_ROLES, REGIONAL_ROLES, Role
from portal.links import public_url
from portal.sms import SmsError, send_sms

logger = logging.getLogger(__name__)
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_WRONG_TRIES = 5
CODES_PER_NUMBER_PER_HOUR = 3
EMAIL_LINK_MAX_AGE = timedelta(days=3)
EMAIL_LINK_SALT = "portal.accounts.email-confirmation"


class AccountExists(Exception):
    """An account already uses this mobile number or e-mail address."""


class TooManyCodes(ValidationError):
    """This number has had its codes for the hour."""


class MessageNotSent(Exception):
    """The SMS gateway or the mail server did not take a code or a link (logged where it failed).

    What the message was for is as it was before: a code that did not go out is not stored, so the
    codes sent earlier still work and the hourly limit does not count it. ``channel`` is the kind of
    identifier it was for (``mobile`` or ``email``), ``kind`` the message's templates."""

    def __init__(self, *, channel: str, kind: str):
        super().__init__(f"{kind} not sent ({channel})")
        self.channel = channel
        self.kind = kind


@dataclass(frozen=True)
class Registration:
    """What a registration left to do: confirm ``identifier``. ``user`` is None
    when the identifier had an account already (its owner was told instead)."""

    identifier: Identifier
    user: object | None


def citizen_register(*, identifier: Identifier, password: str, language: str) -> Registration:
    """Opens an unconfirmed citizen account and sends the code (SMS) or link (e-mail).

    When the number or address has an account already, no account is made:
    its owner is told that someone tried to register with it, with a link to
    reset the password, and the caller shows the same page as for a new one,
    so that nobody learns who is registered. Raises ``TooManyCodes`` when the
    number has had its codes for the hour, whether it has an account or not,
    and ``MessageNotSent`` when the code, link or notice did not go out,
    whether it has an account or not: an account made stays, unconfirmed, and
    ``confirmation_resend`` sends its code once the gateway takes it.
    """
    if identifier.kind == "mobile":
        _ensure_code_allowance(identifier.value)
    User = get_user_model()
    existing = User.objects.filter(**{identifier.kind: identifier.value}).first()
    if existing is None:
        try:
            user = citizen_create(identifier=identifier, password=password, language=language, confirmed=False)
        except AccountExists:  # registered by a concurrent request
            existing = User.objects.filter(**{identifier.kind: identifier.value}).first()
        else:
            confirmation_send(user=user, identifier=identifier)
            return Registration(identifier=identifier, user=user)
    if existing is not None:
        _tell_owner_of_registration_attempt(owner=existing, identifier=identifier)
    return Registration(identifier=identifier, user=None)


@transaction.atomic
def citizen_create(*, identifier: Identifier, password: str, language: str, confirmed: bool):
    """Makes a citizen account; ``confirmed`` only for accounts whose identifier is known
    to be theirs (the demo seed). Raises ``AccountExists``."""
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=identifier.value,
                password=password,
                preferred_language=language,
                confirmed_at=timezone.now() if confirmed else None,
                **{identifier.kind: identifier.value},
            )
    except IntegrityError as exc:
        raise AccountExists from exc
    user.groups.add(Group.objects.get(name=Role.CITIZEN))
    return user


def confirmation_send(*, user, identifier: Identifier | None = None) -> None:
    """Sends ``user`` a new code by SMS, or a new link by e-mail, to confirm their identifier."""
    if user.is_confirmed:
        return
    if identifier is None:
        identifier = Identifier("mobile", user.mobile) if user.mobile else Identifier("email", user.email)
    with translation.override(user.preferred_language):
        if identifier.kind == "mobile":
            # The code is kept only once the gateway took it: a failed send rolls back (MessageNotSent).
            with transaction.atomic():
                code = confirmation_code_issue(mobile=identifier.value, user=user)
                minutes = int(CODE_LIFETIME.total_seconds() // 60)
                _sms_send(identifier, kind="confirmation_code", context={"code": code, "minutes": minutes})
        else:
            token = signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_LINK_SALT)
            context = {"link": public_url(reverse("accounts:confirm_email", kwargs={"token": token}))}
            _mail_send(Identifier("email", user.email), kind="email_confirmation", context=context)


def confirmation_resend(*, identifier: Identifier) -> None:
    """ "Send me a new code" on the confirmation page.

    The page and the hourly limit behave the same for every number: an
    unconfirmed account gets its new code; a confirmed one was registered
    again by someone else, and its owner is told of it again (within the
    hourly limit), so that a gateway that fails, fails alike for both; a number
    without an account gets a code row that nobody receives. Raises
    ``TooManyCodes`` and ``MessageNotSent``.
    """
    User = get_user_model()
    if identifier.kind == "mobile":
        _ensure_code_allowance(identifier.value)
    user = User.objects.filter(**{identifier.kind: identifier.value}).first()
    if user is not None and not user.is_confirmed:
        confirmation_send(user=user, identifier=identifier)
    elif user is not None:
        _tell_owner_of_registration_attempt(owner=user, identifier=identifier)
    elif identifier.kind == "mobile":
        confirmation_code_issue(mobile=identifier.value, user=None)


def _ensure_code_allowance(mobile: str) -> None:
    since = timezone.now() - timedelta(hours=1)
    sent = ConfirmationCode.objects.filter(mobile=mobile, created_at__gte=since)
    if sent.count() >= CODES_PER_NUMBER_PER_HOUR:
        first = sent.order_by("created_at").first()
        wait = max(1, int((first.created_at + timedelta(hours=1) - timezone.now()).total_seconds() // 60) + 1)
        raise TooManyCodes(
            ngettext(
                "We have sent the most codes we send to this number in an hour. Try again in %(minutes)s minute.",
                "We have sent the most codes we send to this number in an hour. Try again in %(minutes)s minutes.",
                wait,
            )
            % {"minutes": wait},
            code="too_many_codes",
        )


def confirmation_code_issue(*, mobile: str, user) -> str:
    """Stores a new 6-digit code for ``mobile`` (hashed) and returns it; earlier codes stop working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    ConfirmationCode.objects.filter(mobile=mobile, used_at__isnull=True).update(used_at=now)
    ConfirmationCode.objects.create(
        mobile=mobile, user=user, code_hash=make_password(code), created_at=now, expires_at=now + CODE_LIFETIME
    )
    return code


def confirmation_code_check(*, mobile: str, code: str):
    """Confirms the account the code was sent for and returns it; raises ``ValidationError`` otherwise.

    A wrong try is counted in its own transaction, committed before the error
    is raised, so that the count survives whatever the caller rolls back.
    """
    with transaction.atomic():
        row = (
            ConfirmationCode.objects.select_for_update(of=("self",))
            .filter(mobile=mobile, used_at__isnull=True)
            .select_related("user")
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if row is None or row.expires_at <= now:
            problem, left = "expired", 0
        elif row.failed_attempts >= CODE_MAX_WRONG_TRIES:
            problem, left = "locked", 0
        elif row.user is None or not check_password(code, row.code_hash):
            row.failed_attempts += 1
            row.save(update_fields=["failed_attempts"])
            left = CODE_MAX_WRONG_TRIES - row.failed_attempts
            problem = "wrong" if left > 0 else "locked"
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return account_confirm(user=row.user)
    if problem == "expired":
        raise ValidationError(_("This code has expired. Ask for a new one below."), code="expired")
    if problem == "locked":
        raise ValidationError(
            _("The code was typed wrongly too many times and no longer works. Ask for a new one below."),
            code="locked",
        )
    raise ValidationError(
        ngettext(
            "This is not the code we sent. Check the SMS and try again: %(left)s try left.",
            "This is not the code we sent. Check the SMS and try again: %(left)s tries left.",
            left,
        )
        % {"left": left},
        code="wrong",
    )


def email_confirm(*, token: str):
    """Confirms the account an e-mail link was sent for and returns it; raises ``ValidationError``."""
    try:
        data = signing.loads(token, salt=EMAIL_LINK_SALT, max_age=EMAIL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired: links work for 3 days. Log in to get a new one."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("This link is not complete or not valid. Open it again from the e-mail, or log in to get a new one."),
            code="invalid",
        ) from None
    user = get_user_model().objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise ValidationError(_("This link is not complete or not valid."), code="invalid")
    return account_confirm(user=user)


def account_confirm(*, user):
    """Marks the account's identifier proved; doing it again changes nothing."""
    if user.confirmed_at is None:
        user.confirmed_at = timezone.now()
        user.save(update_fields=["confirmed_at"])
    return user


def _tell_owner_of_registration_attempt(*, owner, identifier: Identifier) -> None:
    """The owner of a number or address learns that someone tried to register with it.
    Raises ``MessageNotSent`` as a new account's code would, so that nobody learns who is registered."""
    with translation.override(owner.preferred_language), transaction.atomic():
        if identifier.kind == "mobile":
            # Counts towards the hourly limit like a code, so the owner is not flooded (once it is sent).
            confirmation_code_issue(mobile=identifier.value, user=None)
        context = {"link": password_reset_link(owner)}
        if identifier.kind == "mobile":
            _sms_send(identifier, kind="registration_attempt", context=context)
        else:
            _mail_send(identifier, kind="registration_attempt", context=context)


def _sms_send(identifier: Identifier, *, kind: str, context: dict) -> None:
    """Sends the SMS of ``kind`` (``notifications/<kind>/sms.txt``); raises ``MessageNotSent`` when
    the gateway does not take it. The log line names the kind and the masked number, never the text."""
    text = render_to_string(f"notifications/{kind}/sms.txt", context).strip()
    try:
        send_sms(to=identifier.value, text=text, kind=kind)
    except SmsError as error:
        logger.warning(
            "SMS %s to %s not sent: %s %s",
            kind,
            masked_identifier(identifier),
            type(error).__name__,
            error.code or "(no code)",
        )
        raise MessageNotSent(channel="mobile", kind=kind) from error
    except Exception as error:
        # A gateway may fail in its own way (portal.sms); the person still gets a page, the operator a trace.
        logger.exception("SMS %s to %s not sent: the gateway failed", kind, masked_identifier(identifier))
        raise MessageNotSent(channel="mobile", kind=kind) from error


def _mail_send(identifier: Identifier, *, kind: str, context: dict) -> None:
    """Sends the e-mail of ``kind`` (``notifications/<kind>/email_subject.txt`` and ``email_body.txt``);
    raises ``MessageNotSent`` when the mail server does not take it (logged with the masked address)."""
    subject = render_to_string(f"notifications/{kind}/email_subject.txt", context).strip()
    body = render_to_string(f"notifications/{kind}/email_body.txt", context)
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[identifier.value])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("E-mail %s to %s not sent: %s", kind, masked_identifier(identifier), type(error).__name__)
        raise MessageNotSent(channel="email", kind=kind) from error
    except Exception as error:
        logger.exception("E-mail %s to %s not sent: the mail backend failed", kind, masked_identifier(identifier))
        raise MessageNotSent(channel="email", kind=kind) from error


@transaction.atomic
def staff_account_ensure(*, identifier: Identifier, role: Role, password: str, region: str = "", full_name: str = ""):
    """Creates a staff account, or brings an existing one to the given role and region."""
    if role in REGIONAL_ROLES and not region:
        raise ValidationError(_("A caseworker or supervisor must serve a region."))
    User = get_user_model()
    user, _created = User.objects.get_or_create(username=identifier.value, defaults={identifier.kind: identifier.value})
    user.full_name = full_name or user.full_name
    user.region = region
    user.is_staff = role in ADMIN_SITE_ROLES
    user.set_password(password)
    user.confirmed_at = user.confirmed_at or timezone.now()
    user.full_clean()
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user


def user_set_language(*, user, language: str) -> None:
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


def password_reset_link(user) -> str:
    """The public address of a one-day link that sets a new password for ``user``."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return public_url(path)


def password_reset_request(*, raw_identifier: str) -> None:
    """Sends a reset link to the account's e-mail address or mobile number.

    Says nothing about whether the account exists: the page shows the same
    answer either way, so that nobody can probe who is registered; a link the
    gateway or the mail server did not take is logged, and the answer is the
    same again (the page after it lets the person ask again). The link points
    to ``LINGHUO_PUBLIC_URL``, whatever Host the request named.
    """
    user = find_user_by_identifier(raw_identifier)
    if user is None or not user.is_active or not user.has_usable_password():
        return
    link = password_reset_link(user)
    # Reply on the channel the person typed; a mobile-only account gets an SMS.
    by_email = bool(user.email) and ("@" in raw_identifier or not user.mobile)
    with translation.override(user.preferred_language), contextlib.suppress(MessageNotSent):
        context = {"user": user, "link": link}
        if by_email:
            _mail_send(Identifier("email", user.email), kind="password_reset", context=context)
        else:
            _sms_send(Identifier("mobile", user.mobile), kind="password_reset", context=context)
