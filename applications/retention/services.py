"""Retention of personal data: closed cases anonymised, abandoned drafts removed, a person's own data.

Periods are parameters (catalogue, local settings, effective-dated like every other): the values
in force on the day a job runs apply.

**Closed cases** (``closed_case_anonymise``, beat daily). A case is closed when nothing more can
happen to it:

- ``withdrawn``; ``served`` or ``partner_declined`` (a programme without cash reached its outcome);
- ``rejected``, once ``review.appeal_window_days`` have passed without a request for
  reconsideration (or after the one reconsideration it may have);
- ``approved`` with a payment schedule of which no instalment is still ``scheduled``: each one was
  sent to finance (``exported``) or cancelled.

Not closed: every open status (``OPEN_STATUSES``), ``referred`` (the partner has not answered),
``approved`` with an instalment still to pay, and ``approved`` without any payment (a programme
without cash waiting for its outcome). The period, ``retention.closed_case_years`` (local default
5), runs from the later of the day the case moved into its closed status and the due date of the
last instalment sent to finance; the case is anonymised on the day the period ends (5 years after
2021-03-15 is 2026-03-15), or by the first run after it.

Anonymising keeps the case for statistics and nothing that says who it was about:

- kept: programme, region code, status, reference number, amounts (the application's and each
  instalment's, with the instalment's state), the staff who decided (their approvals, the
  caseworker), the fulfilment's kind, partner, site or course, reconsiderations' outcome and
  reason codes; every date truncated to its month (the 1st, midnight in the portal's time zone);
  of the evaluation at submission only its status, amount and the parameters it used.
- emptied: name, identity number, mobile, address, bank and account, the answers (``facts``),
  programme details, what the fulfilment recorded, the reconsideration's grounds and decision
  texts, and each message's subject, text and address.
- deleted: the documents (rows, and their files from storage once the transaction commits), the
  timeline (``CaseEvent``: notes), requests for information (questions, answers), the answers taken
  from a registry; the link from a registry invitation to the case is cut.
- the case, its messages and its reconsideration are moved to one account that stands for every
  anonymised applicant (``anonymised_applicant``: inactive, no password, no contact), so that the
  person's account no longer leads to them and the case no longer leads to the account.
- the identity number's keyed hash (``id_number_hash``) is kept on a case that was granted
  (``APPROVED_STATUSES``) and emptied on any other. It is a pseudonym, not the number: without
  ``LINGHUO_HASH_KEY`` and the number itself it tells nobody anything, and it is what lets a
  once-only grant (start-up subsidy, tax deduction) be refused to the same person later and the
  months already paid count against a maximum across applications. It is never shown or exported
  with the statistics. ``manage.py rotate_keys`` keeps such a hash as it is (there is no number
  left to hash again), so a change of ``LINGHUO_HASH_KEY`` ends that recognition for anonymised cases.

An ``AnonymisedCase`` row marks the case (the job is idempotent: a marked case is never touched
again), and one audit entry records it (``DECISION``, ``"decision": "anonymised"``).

**The audit trail and personal data.** The trail is append-only (the ORM, the admin, and on
PostgreSQL a trigger and the table's owner refuse UPDATE and DELETE) and hash-chained, so
anonymisation never changes an entry: it writes one. Entries name the case by its id and the
person acting by their account; they hold no name, identity, mobile or bank number, but some hold
words typed by people (a transition's note, the reason for revealing a number), the file names of
the documents a caseworker opened, what an outcome recorded, and the address a request came from.
After anonymisation the case no longer leads to a person, yet the entries of the applicant's own
steps still name the applicant's account as their actor. The trail is kept for accountability
under its own retention, readable only by the region's supervisors; removing a whole part of it
once that ends (a verified prefix of the chain) is not done here.

**Abandoned drafts** (beat daily, in the morning). A draft's activity is its last change or its
last document, whichever came later. After ``retention.draft_notice_days`` (75) whole days without
activity the applicant gets one notice through the outbox (inbox, and e-mail and SMS where known)
naming the day it will be removed: ``retention.draft_days`` (90) days after the activity, and never
sooner than the days between the two settings after the notice itself, so that a draft found by a
first run already past 90 days still gets its 15 days. The notice is recorded (``DraftNotice``) in
the transaction that writes the message, once per period of inactivity: working on the draft
again starts a new period. On the removal day the draft is deleted with its documents, files,
timeline and messages; the audit trail records that (``"decision": "draft_removed"``, with no
case, since the case is gone). A draft the audit trail refers to (one pre-filled from a
registry) cannot be deleted without breaking the trail: it is withdrawn and anonymised instead.

**A person's own data.** ``personal_data_download`` gives everything held about the person
(``selectors.personal_data_of``: account, applications with their answers, documents listed,
payments, messages, invitations and the registry facts held under the identity numbers they gave)
and records the download in the audit trail. Staff's internal notes are not included. A person may
delete their drafts (``draft_delete``, ``drafts_delete``), recorded as ``"draft_deleted"``.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications import case_flags
from applications.models import (
    APPROVED_STATUSES,
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    DeliveryEvent,
    Document,
    Fulfilment,
    InformationRequest,
    Notification,
    Payment,
    Reconsideration,
    Status,
)
from applications.outreach.models import Invitation, PrefilledFact
from applications.retention import selectors
from applications.retention.models import AnonymisedCase, DraftNotice
from applications.services.audit import audit_record
from applications.services.notifications import notify_person
from applications.services.transitions import application_transition
from portal.links import public_url

logger = logging.getLogger(__name__)

# The one account every anonymised case belongs to: no password, no contact, cannot log in.
ANONYMISED_USERNAME = "anonymised"
DRAFT_NOTICE_EVENT = Notification.Event.DRAFT_EXPIRING

PERSONAL_FIELDS = {
    "full_name": "",
    "id_number": "",
    "mobile": "",
    "address": "",
    "bank_name": "",
    "bank_account": "",
    "facts": {},
    "screening_facts": [],
    "programme_details": {},
    "completed_steps": [],
}
APPLICATION_MOMENTS = (
    "created_at",
    "submitted_at",
    "declaration_accepted_at",
    "decided_at",
    "claimed_at",
    "overdue_flagged_at",
)
APPLICATION_DAYS = ("submitted_on", "sla_due_on", "sla_paused_on")


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _to_the_month(queryset, *, moments: tuple[str, ...] = (), days: tuple[str, ...] = (), **changes) -> None:
    """Updates each row of ``queryset`` with ``changes`` and its ``moments`` and ``days`` moved to the
    start of their month (the 1st at midnight in the portal's time zone). In Python, row by row (a
    case has a handful): SQL's month truncation in a time zone does not round-trip into a column."""
    for row in queryset.values("pk", *moments, *days):
        values = dict(changes)
        for name in moments:
            if row[name] is not None:
                values[name] = selectors.local_midnight(_month_start(timezone.localdate(row[name])))
        for name in days:
            if row[name] is not None:
                values[name] = _month_start(row[name])
        queryset.model.objects.filter(pk=row["pk"]).update(**values)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def anonymised_applicant():
    """The account that stands for every anonymised applicant (made on first use)."""
    account, made = get_user_model().objects.get_or_create(
        username=ANONYMISED_USERNAME,
        defaults={"is_active": False, "confirmed_at": None, "email": None, "mobile": None},
    )
    if made:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account


def _delete_files_on_commit(names: list[str]) -> None:
    storage = Document._meta.get_field("file").storage
    for name in names:
        if name:
            transaction.on_commit(lambda name=name: storage.delete(name))


# --- Closed cases ----------------------------------------------------------------------------------


@transaction.atomic
def case_anonymise(
    *,
    application_id: int,
    basis: str,
    today: date | None = None,
    closed_on: date | None = None,
    years: int | None = None,
) -> AnonymisedCase | None:
    """Removes the personal data of one case as the module's docstring says; None when it was done already."""
    today = _today(today)
    locked = Application.objects.select_for_update().filter(pk=application_id).first()
    if locked is None or AnonymisedCase.objects.filter(application=locked).exists():
        return None
    nobody = anonymised_applicant()
    documents = list(Document.objects.filter(application=locked).values_list("file", flat=True))
    Document.objects.filter(application=locked).delete()
    _delete_files_on_commit(documents)
    CaseEvent.objects.filter(application=locked).delete()
    InformationRequest.objects.filter(application=locked).delete()
    PrefilledFact.objects.filter(application=locked).delete()
    Invitation.objects.filter(application=locked).update(application=None)
    DraftNotice.objects.filter(application=locked).delete()
    _to_the_month(
        Notification.objects.filter(application=locked),
        moments=("created_at", "sent_at", "read_at"),
        recipient=nobody,
        subject="",
        body="",
        address="",
        last_error="",
        next_attempt_at=None,
    )
    # Their delivery history keeps when and by which channel, not what a provider said of the address.
    DeliveryEvent.objects.filter(notification__application=locked).update(error="", provider_message_id="")
    _to_the_month(
        Reconsideration.objects.filter(application=locked),
        moments=("requested_at", "rejected_at", "decided_at"),
        requested_by=nobody,
        grounds="",
        rejection_note="",
        decision_note="",
        rejection_evaluation=None,
        evaluation=None,
    )
    _to_the_month(
        Fulfilment.objects.filter(application=locked), moments=("recorded_at",), days=("referred_on",), details={}
    )
    _to_the_month(Approval.objects.filter(application=locked), moments=("at",))
    _to_the_month(Payment.objects.filter(application=locked), days=("due_on",))
    keep_hash = locked.status in APPROVED_STATUSES and bool(locked.id_number_hash)
    evaluation = locked.evaluation or None
    if evaluation is not None:
        as_of = evaluation.get("as_of")
        evaluation = {
            "as_of": f"{as_of[:7]}-01" if isinstance(as_of, str) and len(as_of) >= 7 else None,
            "status": evaluation.get("status"),
            "amount": evaluation.get("amount"),
            "parameters": evaluation.get("parameters") or {},
        }
    _to_the_month(
        Application.objects.filter(pk=locked.pk),
        moments=APPLICATION_MOMENTS,
        days=APPLICATION_DAYS,
        applicant=nobody,
        id_number_hash=locked.id_number_hash if keep_hash else "",
        evaluation=evaluation,
        updated_at=selectors.local_midnight(_month_start(today)),
        **PERSONAL_FIELDS,
    )
    # The person is "nobody" now and the documents are gone: the queue's flags of this case and of
    # the cases that shared its identity number say so.
    case_flags.refresh_all(Application.objects.filter(pk=locked.pk))
    case_flags.refresh_identity({locked.id_number_hash})
    record = AnonymisedCase.objects.create(
        application=locked,
        basis=basis,
        closed_on=_month_start(closed_on) if closed_on else None,
        anonymised_on=today,
        identity_hash_kept=keep_hash,
    )
    audit_record(
        actor=None,
        action=AuditEntry.Action.DECISION,
        application=locked,
        details={
            "decision": "anonymised",
            "basis": basis,
            "closed_in": closed_on.strftime("%Y-%m") if closed_on else None,
            "years": years,
            "documents_removed": len(documents),
            "identity_hash_kept": keep_hash,
        },
    )
    return record


def closed_cases_anonymise(*, today: date | None = None) -> int:
    """Beat, daily: anonymises every closed case whose retention period has ended; returns how many.
    Each case in a transaction of its own, so one that fails (logged) leaves the others done."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    done = 0
    for application_id, closed_on in selectors.closed_cases_due(today=today, periods=periods):
        try:
            record = case_anonymise(
                application_id=application_id,
                basis=AnonymisedCase.Basis.CLOSED_CASE,
                today=today,
                closed_on=closed_on,
                years=periods.closed_case_years,
            )
        except Exception:
            logger.exception("application %s could not be anonymised", application_id)
            continue
        done += record is not None
    return done


# --- Abandoned drafts ------------------------------------------------------------------------------


def _draft_activity(application: Application):
    return selectors.drafts_with_activity().filter(pk=application.pk).values_list("last_activity_at", flat=True).first()


@transaction.atomic
def draft_notice_send(*, application_id: int, today: date | None = None) -> DraftNotice | None:
    """The one notice about this period of inactivity, written to the outbox with its record;
    None when the draft is not due one (worked on meanwhile, sent, already told)."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    locked = (
        Application.objects.select_for_update()
        .select_related("applicant", "programme")
        .filter(pk=application_id, status=Status.DRAFT)
        .first()
    )
    if locked is None:
        return None
    activity = _draft_activity(locked)
    if selectors.inactive_days(activity, today) < periods.draft_notice_days:
        return None
    notice = DraftNotice.objects.filter(application=locked).first()
    if notice is not None and notice.activity_at >= activity:
        return None
    removal_on = max(
        timezone.localdate(activity) + timedelta(days=periods.draft_days),
        today + timedelta(days=periods.days_between_notice_and_removal),
    )
    notice, _made = DraftNotice.objects.update_or_create(
        application=locked, defaults={"activity_at": activity, "notified_on": today, "removal_on": removal_on}
    )
    notify_person(
        person=locked.applicant,
        event=DRAFT_NOTICE_EVENT,
        context={
            "application": locked,
            "last_activity_on": timezone.localdate(activity),
            "removal_on": removal_on,
            "draft_url": public_url(reverse("applications:draft", kwargs={"pk": locked.pk})),
            "data_url": public_url(reverse("retention:data")),
        },
        mobile_fallback=locked.mobile,
    )
    return notice


def drafts_notify_inactive(*, today: date | None = None) -> int:
    """Beat, daily: the notice to every draft that reached ``retention.draft_notice_days``; returns how many."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    sent = 0
    for application_id in selectors.drafts_due_notice(today=today, periods=periods):
        try:
            sent += draft_notice_send(application_id=application_id, today=today) is not None
        except Exception:
            logger.exception("no removal notice for draft %s", application_id)
    return sent


@dataclass(frozen=True)
class DraftRemoval:
    """What became of a draft: deleted, or (the audit trail refers to it) withdrawn and anonymised."""

    application_id: int
    deleted: bool
    documents: int


def _draft_remove(locked: Application, *, basis: str, actor, today: date, details: dict, request=None) -> DraftRemoval:
    documents = list(Document.objects.filter(application=locked).values_list("file", flat=True))
    if AuditEntry.objects.filter(application=locked).exists():
        application_transition(application=locked, to_status=Status.WITHDRAWN, actor=actor)
        case_anonymise(application_id=locked.pk, basis=basis, today=today, closed_on=today)
        return DraftRemoval(application_id=locked.pk, deleted=False, documents=len(documents))
    pk, programme = locked.pk, locked.programme.slug
    locked.delete()  # its documents, timeline, messages and notice go with it
    _delete_files_on_commit(documents)
    decision = "draft_deleted" if basis == AnonymisedCase.Basis.DRAFT_DELETED else "draft_removed"
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DECISION,
        details={"decision": decision, "draft": pk, "programme": programme, "documents": len(documents), **details},
        request=request,
    )
    return DraftRemoval(application_id=pk, deleted=True, documents=len(documents))


@transaction.atomic
def draft_remove_abandoned(*, application_id: int, today: date | None = None) -> DraftRemoval | None:
    """Removes a draft whose announced removal day has come; None when it is not due (any more)."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    locked = (
        Application.objects.select_for_update()
        .select_related("programme")
        .filter(pk=application_id, status=Status.DRAFT)
        .first()
    )
    if locked is None:
        return None
    activity = _draft_activity(locked)
    notice = DraftNotice.objects.filter(application=locked).first()
    days = selectors.inactive_days(activity, today)
    if notice is None or notice.activity_at < activity or notice.removal_on > today or days < periods.draft_days:
        return None
    return _draft_remove(
        locked,
        basis=AnonymisedCase.Basis.ABANDONED_DRAFT,
        actor=None,
        today=today,
        details={"inactive_days": days, "notified_on": notice.notified_on.isoformat()},
    )


def drafts_remove_abandoned(*, today: date | None = None) -> int:
    """Beat, daily: removes every draft whose removal day has come; returns how many."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    removed = 0
    for application_id in selectors.drafts_due_removal(today=today, periods=periods):
        try:
            removed += draft_remove_abandoned(application_id=application_id, today=today) is not None
        except Exception:
            logger.exception("draft %s could not be removed", application_id)
    return removed


# --- What a person does with their own data -------------------------------------------------------------


@transaction.atomic
def draft_delete(*, application: Application, acting_user, request=None) -> DraftRemoval:
    """The applicant deletes one of their unsent drafts, with its documents."""
    locked = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    if locked.applicant_id != acting_user.pk or locked.status != Status.DRAFT:
        raise PermissionDenied("only the applicant's own unsent draft can be deleted")
    return _draft_remove(
        locked,
        basis=AnonymisedCase.Basis.DRAFT_DELETED,
        actor=acting_user,
        today=timezone.localdate(),
        details={},
        request=request,
    )


@transaction.atomic
def drafts_delete(*, acting_user, request=None) -> list[DraftRemoval]:
    """The applicant deletes all their unsent drafts."""
    return [
        draft_delete(application=draft, acting_user=acting_user, request=request)
        for draft in Application.objects.filter(applicant=acting_user, status=Status.DRAFT).order_by("pk")
    ]


@transaction.atomic
def personal_data_download(*, person, file_format: str, request=None) -> dict:
    """Everything held about ``person`` (``selectors.personal_data_of``), recorded in the audit trail."""
    if file_format not in ("json", "pdf"):
        raise ValueError(f"unknown format {file_format!r}")
    data = selectors.personal_data_of(person)
    audit_record(
        actor=person,
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        details={
            "export": "own_data",
            "format": file_format,
            "applications": [row["reference"] or "draft" for row in data["applications"]],
            "registry_records": len(data["registry"]),
        },
        request=request,
    )
    return data


# --- Everything at once (manage.py apply_retention) --------------------------------------------------


@dataclass
class RetentionReport:
    notices: int = 0
    drafts_removed: int = 0
    cases_anonymised: int = 0
    dry_run: bool = False
    today: date | None = None
    periods: selectors.RetentionPeriods | None = field(default=None)


def retention_apply(*, today: date | None = None, dry_run: bool = False) -> RetentionReport:
    """What the three daily jobs do, in one go; with ``dry_run`` only what they would do."""
    today = _today(today)
    periods = selectors.retention_periods(today)
    if dry_run:
        return RetentionReport(
            notices=len(selectors.drafts_due_notice(today=today, periods=periods)),
            drafts_removed=len(selectors.drafts_due_removal(today=today, periods=periods)),
            cases_anonymised=len(selectors.closed_cases_due(today=today, periods=periods)),
            dry_run=True,
            today=today,
            periods=periods,
        )
    return RetentionReport(
        drafts_removed=drafts_remove_abandoned(today=today),
        notices=drafts_notify_inactive(today=today),
        cases_anonymised=closed_cases_anonymise(today=today),
        today=today,
        periods=periods,
    )
