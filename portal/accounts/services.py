"""Writes to accounts: registration, staff accounts, language, password reset."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from portal.accounts.backends import find_user_by_identifier
from portal.accounts.identifiers import Identifier
from portal.accounts.roles import ADMIN_SITE_ROLES, REGIONAL_ROLES, Role
from portal.sms import send_sms


class AccountExists(Exception):
    """An account already uses this mobile number or e-mail address."""


@transaction.atomic
def citizen_register(*, identifier: Identifier, password: str, language: str):
    User = get_user_model()
    fields = {identifier.kind: identifier.value}
    if User.objects.filter(**fields).exists():
        raise AccountExists
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=identifier.value, password=password, preferred_language=language, **fields
            )
    except IntegrityError as exc:  # registered by a concurrent request
        raise AccountExists from exc
    user.groups.add(Group.objects.get(name=Role.CITIZEN))
    return user


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
    user.full_clean()
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user


def user_set_language(*, user, language: str) -> None:
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


def password_reset_request(*, raw_identifier: str, base_url: str) -> None:
    """Sends a reset link to the account's e-mail address or mobile number.

    Says nothing about whether the account exists: the page shows the same
    answer either way, so that nobody can probe who is registered.
    """
    user = find_user_by_identifier(raw_identifier)
    if user is None or not user.is_active or not user.has_usable_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = base_url.rstrip("/") + path
    # Reply on the channel the person typed; a mobile-only account gets an SMS.
    by_email = bool(user.email) and ("@" in raw_identifier or not user.mobile)
    with translation.override(user.preferred_language):
        context = {"user": user, "link": link}
        if by_email:
            send_mail(
                subject=render_to_string("notifications/password_reset/email_subject.txt", context).strip(),
                message=render_to_string("notifications/password_reset/email_body.txt", context),
                from_email=None,
                recipient_list=[user.email],
            )
        else:
            send_sms(to=user.mobile, text=render_to_string("notifications/password_reset/sms.txt", context).strip())
