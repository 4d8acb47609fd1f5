"""Entitlements across cases at the moments they decide something: sending a claim and approving it.

What remains of a programme for a person is read by ``applications.selectors_entitlements``;
here it refuses a second claim of a once-only grant, and a monthly subsidy whose months
are all paid or scheduled, with a message the applicant or the caseworker reads.

Two claims of the same person may arrive together (two accounts, two regions): the
check and the change it allows run under one lock per person and programme, so the
second sees the first. On PostgreSQL that is an advisory lock held until the
transaction ends; SQLite writes one transaction at a time anyway.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from applications.models import Application
from applications.selectors_entitlements import Entitlement, entitlement_for, entitlement_kind

# The first key of the two-key pg_advisory_xact_lock of entitlements ("LHEN" in ASCII).
LOCK_NAMESPACE = 0x4C48454E


def entitlement_lock(*, application: Application) -> None:
    """Waits for, and holds until the transaction ends, the lock of this person and programme.

    The person is the identity number when the application has one, else the account.
    Call it inside the transaction, before reading what the person has had.
    """
    if connection.vendor != "postgresql" or entitlement_kind(application.programme.slug) is None:
        return
    person = application.id_number_hash or f"account:{application.applicant_id}"
    digest = hashlib.sha256(f"{application.programme_id}:{person}".encode()).digest()
    key = int.from_bytes(digest[:4], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, key])


def refusal_message(entitlement: Entitlement, *, for_staff: bool = False) -> str:
    """The reason a claim is refused, for the applicant (or, ``for_staff``, for the caseworker)."""
    reason = entitlement.refusal
    if reason == "received":
        if for_staff:
            return _(
                "This person has already received this once-only grant (%(references)s): it is given once per "
                "person. Refuse this application."
            ) % {"references": ", ".join(case.reference for case in entitlement.received)}
        return _(
            "You have already received this grant. It is given only once per person, so it cannot be claimed again."
        )
    if reason == "pending":
        if for_staff:
            return _(
                "Another application of this person for this once-only grant is being decided (%(references)s). "
                "Decide that one first."
            ) % {"references": ", ".join(case.reference for case in entitlement.pending)}
        return _(
            "You have already applied for this grant and that application is being decided. "
            "It is given only once per person."
        )
    if reason == "no_months_left":
        if for_staff:
            return _(
                "This person has been paid or scheduled all %(most)s months of this subsidy on other applications: "
                "no month remains. Refuse this application."
            ) % {"most": entitlement.months_most}
        return _(
            "You have received all %(most)s months of this subsidy that can be paid to one person, so no more "
            "months can be claimed."
        ) % {"most": entitlement.months_most}
    return ""


def entitlement_claim_problem(*, application: Application) -> str:
    """What stops the applicant from sending this claim; "" when nothing does.
    Call it under ``entitlement_lock``."""
    entitlement = entitlement_for(application)
    if entitlement is None:
        return ""
    return refusal_message(entitlement)


def entitlement_check_approval(*, application: Application) -> None:
    """Refuses to approve a claim the person has nothing left of. Raises ``ValidationError``.
    Call it under ``entitlement_lock``."""
    entitlement = entitlement_for(application)
    # Of two claims being decided together, the first may be approved; the second then may not.
    if entitlement is None or entitlement.refusal in ("", "pending"):
        return
    raise ValidationError(refusal_message(entitlement, for_staff=True), code="entitlement")
