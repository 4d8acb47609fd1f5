"""Limits on proving an invitation one's own: the identity number typed on the "Apply" page.

The invitation link alone shows no personal data; the number the registry holds opens the
registry's answers. So that the number cannot be found by trying, wrong numbers are counted
in the database (``IdentityAttempt``: every process counts the same tries):

- ``INVITATION_LIMIT`` wrong numbers for one invitation, by anyone, or
- ``ACCOUNT_LIMIT`` wrong numbers by one account, on any invitation,

within ``COUNTING_WINDOW`` refuse further tries for ``REFUSAL``: the page says until when.
Counting starts again when a refusal ends. Each wrong number and each refused try is in the
audit trail, without the number typed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from applications.models import AuditEntry
from applications.outreach.models import IdentityAttempt, Invitation
from applications.services.audit import audit_record

INVITATION_LIMIT = 5
ACCOUNT_LIMIT = 10
COUNTING_WINDOW = timedelta(days=1)
REFUSAL = timedelta(hours=1)
# Rows older than this can no longer count or refuse anything.
KEPT_FOR = COUNTING_WINDOW + REFUSAL + timedelta(hours=1)

INVITATION, ACCOUNT = "invitation", "account"


@dataclass(frozen=True)
class AttemptLock:
    """Tries are refused until ``until``: because of this invitation's tries, or this account's."""

    scope: str  # INVITATION or ACCOUNT
    until: datetime


def try_again_from(until: datetime) -> str:
    """The time a person may try again, in the active language, rounded up to the minute
    (never a minute too early)."""
    local = timezone.localtime(until)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return date_format(local, "DATETIME_FORMAT")


class IdentityAttemptsRefused(ValidationError):
    """Too many wrong identity numbers: no number is checked until ``lock.until``."""

    def __init__(self, lock: AttemptLock):
        self.lock = lock
        if lock.scope == INVITATION:
            message = _(
                "Too many wrong identity numbers have been typed for this invitation. To protect the "
                "invited person, no number is checked before %(time)s. You can try again then."
            )
        else:
            message = _(
                "You have typed too many wrong identity numbers. To protect the invited persons, no "
                "number is checked before %(time)s. You can try again then."
            )
        super().__init__(message, code="identity_attempts_refused", params={"time": try_again_from(lock.until)})


def identity_attempts_hold(*, invitation: Invitation, account) -> None:
    """Locks the invitation's and the account's rows until the transaction ends, so that two
    tries at the same moment are counted one after the other (PostgreSQL; SQLite writes one
    transaction at a time anyway)."""
    Invitation.objects.select_for_update().filter(pk=invitation.pk).values_list("pk").first()
    get_user_model().objects.select_for_update().filter(pk=account.pk).values_list("pk").first()


def _count_since(*, now, last_end) -> datetime:
    start = now - COUNTING_WINDOW
    return max(start, last_end) if last_end is not None else start


def identity_attempt_wrong(*, invitation: Invitation, account, request=None) -> AttemptLock | None:
    """Records a wrong number (never the number itself) and audits it; returns the refusal it
    starts when it reaches a limit. Call inside the transaction of ``identity_attempts_hold``,
    once ``identity_attempts_lock`` found no refusal in force."""
    now = timezone.now()
    IdentityAttempt.objects.filter(at__lt=now - KEPT_FOR).delete()
    ends = IdentityAttempt.objects.filter(invitation=invitation).aggregate(end=Max("invitation_locked_until"))
    on_invitation = (
        IdentityAttempt.objects.filter(
            invitation=invitation, refused=False, at__gt=_count_since(now=now, last_end=ends["end"])
        ).count()
        + 1
    )
    ends = IdentityAttempt.objects.filter(account=account).aggregate(end=Max("account_locked_until"))
    by_account = (
        IdentityAttempt.objects.filter(
            account=account, refused=False, at__gt=_count_since(now=now, last_end=ends["end"])
        ).count()
        + 1
    )
    attempt = IdentityAttempt(invitation=invitation, account=account, at=now)
    lock = None
    if by_account >= ACCOUNT_LIMIT:
        attempt.account_locked_until = now + REFUSAL
        lock = AttemptLock(scope=ACCOUNT, until=attempt.account_locked_until)
    if on_invitation >= INVITATION_LIMIT:
        attempt.invitation_locked_until = now + REFUSAL
        lock = AttemptLock(scope=INVITATION, until=attempt.invitation_locked_until)
    attempt.save(force_insert=True)
    details = {
        "registry_person": invitation.person_id,
        "invitation": invitation.pk,
        "attempt": on_invitation,
        "limit": INVITATION_LIMIT,
        "account_attempts": by_account,
        "account_limit": ACCOUNT_LIMIT,
    }
    if lock is not None:
        details.update(scope=lock.scope, until=lock.until.isoformat())
    audit_record(actor=account, action=AuditEntry.Action.IDENTITY_MISMATCH, details=details, request=request)
    return lock


def identity_attempt_refuse(*, invitation: Invitation, account, lock: AttemptLock, request=None) -> IdentityAttempt:
    """Records and audits a try made while tries are refused; the number typed is not checked."""
    attempt = IdentityAttempt.objects.create(invitation=invitation, account=account, at=timezone.now(), refused=True)
    audit_record(
        actor=account,
        action=AuditEntry.Action.IDENTITY_ATTEMPT_REFUSED,
        details={
            "registry_person": invitation.person_id,
            "invitation": invitation.pk,
            "scope": lock.scope,
            "until": lock.until.isoformat(),
        },
        request=request,
    )
    return attempt
