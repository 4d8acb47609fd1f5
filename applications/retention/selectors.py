"""Reads for retention: which drafts and closed cases are due, and everything held about a person.

The rules themselves (what is closed, from which date the period runs) are in the docstring of
``applications.retention.services``; the queries here narrow the candidates in SQL and
``closed_case_anchor`` decides each one exactly.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from applications.clocks.models import KeptScreening, WindowReminder
from applications.facts_form import describe_facts
from applications.models import (
    Application,
    CaseEvent,
    DeliveryEvent,
    Document,
    InformationRequest,
    Notification,
    Payment,
    Status,
)
from applications.outreach.models import Invitation, InvitationMessage, PrefilledFact
from applications.selectors_follow_up import reconsideration_window
from eligibility.dates import add_years
from eligibility.parameter_cache import parameters_in_force
from eligibility.registry.models import RegistryPerson, department_label

CLOSED_CASE_YEARS = "retention.closed_case_years"
DRAFT_DAYS = "retention.draft_days"
DRAFT_NOTICE_DAYS = "retention.draft_notice_days"

# Closed whatever else holds; an approved case is closed once nothing is left to pay (below).
CLOSED_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.SERVED, Status.PARTNER_DECLINED)


@dataclass(frozen=True)
class RetentionPeriods:
    """The retention parameters in force on one day."""

    closed_case_years: int
    draft_days: int
    draft_notice_days: int

    @property
    def days_between_notice_and_removal(self) -> int:
        return max(self.draft_days - self.draft_notice_days, 0)


def retention_periods(today: date) -> RetentionPeriods:
    parameters = parameters_in_force(today)
    return RetentionPeriods(
        closed_case_years=int(parameters.value(CLOSED_CASE_YEARS)),
        draft_days=int(parameters.value(DRAFT_DAYS)),
        draft_notice_days=int(parameters.value(DRAFT_NOTICE_DAYS)),
    )


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Drafts ----------------------------------------------------------------------------------------


def drafts_with_activity() -> QuerySet[Application]:
    """Every draft with ``last_activity_at``: its last change, or its last document if that came later.

    Saving a step changes the application (``updated_at``); adding a document does not, so both count.
    """
    last_document = (
        Document.objects.filter(application=OuterRef("pk")).order_by("-uploaded_at").values("uploaded_at")[:1]
    )
    return Application.objects.filter(status=Status.DRAFT).annotate(
        last_activity_at=Greatest("updated_at", Coalesce(Subquery(last_document), "updated_at"))
    )


def inactive_days(last_activity_at: datetime, today: date) -> int:
    """Whole days from the day of the last activity (in the portal's time zone) to ``today``."""
    return (today - timezone.localdate(last_activity_at)).days


def drafts_due_notice(*, today: date, periods: RetentionPeriods) -> list[int]:
    """Drafts untouched for ``retention.draft_notice_days`` days or more that have had no notice
    about this period of inactivity."""
    inactive_before = local_midnight(today - timedelta(days=periods.draft_notice_days - 1))
    return list(
        drafts_with_activity()
        .filter(last_activity_at__lt=inactive_before)
        .exclude(draft_notice__activity_at__gte=F("last_activity_at"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def drafts_due_removal(*, today: date, periods: RetentionPeriods) -> list[int]:
    """Drafts untouched for ``retention.draft_days`` days or more whose notice, about this same
    period of inactivity, announced a removal date that has come."""
    inactive_before = local_midnight(today - timedelta(days=periods.draft_days - 1))
    return list(
        drafts_with_activity()
        .filter(
            last_activity_at__lt=inactive_before,
            draft_notice__activity_at__gte=F("last_activity_at"),
            draft_notice__removal_on__lte=today,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Closed cases ----------------------------------------------------------------------------------


def closed_case_candidates() -> QuerySet[Application]:
    """Cases whose status is closed and that are not anonymised yet, with ``closed_at`` (the move into
    their status) and ``last_paid_on`` (the due date of the last instalment sent to finance)."""
    moved_into_status = (
        CaseEvent.objects.filter(
            application=OuterRef("pk"), kind=CaseEvent.Kind.TRANSITION, to_status=OuterRef("status")
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    last_paid = (
        Payment.objects.filter(application=OuterRef("pk"), state=Payment.State.EXPORTED)
        .values("application")
        .annotate(last=Max("due_on"))
        .values("last")
    )
    payments = Payment.objects.filter(application=OuterRef("pk"))
    fully_paid = Q(status=Status.APPROVED) & Exists(payments) & ~Exists(payments.filter(state=Payment.State.SCHEDULED))
    return (
        Application.objects.filter(Q(status__in=CLOSED_STATUSES) | fully_paid, anonymisation__isnull=True)
        .annotate(
            closed_at=Coalesce(Subquery(moved_into_status), "decided_at", "updated_at"),
            last_paid_on=Subquery(last_paid),
        )
        .prefetch_related("reconsiderations")
    )


def closed_case_anchor(application: Application, *, today: date) -> date | None:
    """The date the retention period of a closed case runs from, or None when it is not closed yet.

    That is the later of the day it was closed and the due date of its last instalment sent to
    finance. A refusal is closed only once the applicant can no longer ask for reconsideration.
    Needs ``closed_at`` and ``last_paid_on`` (``closed_case_candidates``).
    """
    if application.status == Status.REJECTED and reconsideration_window(application, today=today).available:
        return None
    closed_on = timezone.localdate(application.closed_at)
    if application.last_paid_on is not None and application.last_paid_on > closed_on:
        return application.last_paid_on
    return closed_on


def closed_cases_due(*, today: date, periods: RetentionPeriods) -> list[tuple[int, date]]:
    """(application id, closing date) of every closed case whose retention period ended by ``today``:
    ``retention.closed_case_years`` years after its anchor (``closed_case_anchor``), that day included."""
    # A little room in SQL (29 February), the exact date in Python.
    latest = add_years(today, -periods.closed_case_years) + timedelta(days=2)
    candidates = closed_case_candidates().filter(closed_at__lt=local_midnight(latest))
    candidates = candidates.filter(Q(last_paid_on__isnull=True) | Q(last_paid_on__lt=latest)).order_by("pk")
    due = []
    for application in candidates:
        anchor = closed_case_anchor(application, today=today)
        if anchor is not None and add_years(anchor, periods.closed_case_years) <= today:
            due.append((application.pk, timezone.localdate(application.closed_at)))
    return due


# --- Everything held about a person ------------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _label(choices, value: str) -> str:
    return str(dict(choices).get(value, value))


def identity_hashes_of(person) -> set[str]:
    """The keyed hashes of every identity number the person gave on an application of theirs."""
    return set(
        Application.objects.filter(applicant=person).exclude(id_number_hash="").values_list("id_number_hash", flat=True)
    )


def _applications_of(person) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant=person)
        .select_related("programme", "fulfilment")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("uploaded_at", "id")),
            Prefetch("events", queryset=CaseEvent.objects.filter(internal=False).order_by("at", "id")),
            Prefetch("payments", queryset=Payment.objects.order_by("sequence")),
            Prefetch("information_requests", queryset=InformationRequest.objects.order_by("requested_at", "id")),
            "reconsiderations",
            Prefetch("prefilled_facts", queryset=PrefilledFact.objects.order_by("id")),
        )
        .order_by("created_at", "pk")
    )


def _application_data(application: Application) -> dict:
    from applications.services.fulfilment import fulfilment_outcome_text, programme_details_display

    fulfilment = getattr(application, "fulfilment", None)  # None: no outcome recorded
    try:
        answers = describe_facts(application.facts or {})
    except (KeyError, TypeError, ValueError):  # an answer kept in a form the questions no longer read
        answers = []
    return {
        "reference": application.reference,
        "programme": {"id": application.programme.slug, "title": application.programme.title},
        "status": application.status,
        "status_label": _label(Status.choices, application.status),
        "region": application.region,
        "started_at": _moment(application.created_at),
        "last_changed_at": _moment(application.updated_at),
        "submitted_at": _moment(application.submitted_at),
        "decided_at": _moment(application.decided_at),
        "amount": _money(application.amount),
        "personal_details": {
            "full_name": application.full_name,
            "id_number": application.id_number,
            "birth_date": (application.facts or {}).get("birth_date"),
            "mobile": application.mobile,
            "address": application.address,
            "bank_name": application.bank_name,
            "bank_account": application.bank_account,
        },
        "answers": [
            {"fact": name, "question": question, "answer": shown, "value": (application.facts or {}).get(name)}
            for name, question, shown in answers
        ],
        "programme_details": [
            {"question": label, "answer": value} for label, value in programme_details_display(application)
        ],
        "documents": [
            {
                "kind": document.kind,
                "kind_label": _label(Document.Kind.choices, document.kind),
                "file_name": document.original_name,
                "size": document.size,
                "type": document.content_type,
                "uploaded_at": _moment(document.uploaded_at),
                "check": _label(Document.CheckStatus.choices, document.check_status),
            }
            for document in application.documents.all()
        ],
        "payments": [
            {
                "instalment": payment.sequence,
                "due_on": _day(payment.due_on),
                "amount": _money(payment.amount),
                "state": payment.state,
                "state_label": _label(Payment.State.choices, payment.state),
            }
            for payment in application.payments.all()
        ],
        "timeline": [
            {
                "at": _moment(event.at),
                "from": _label(Status.choices, event.from_status) if event.from_status else None,
                "to": _label(Status.choices, event.to_status) if event.to_status else None,
                "kind": _label(CaseEvent.Kind.choices, event.kind),
                "note": event.note,
            }
            for event in application.events.all()
        ],
        "information_requests": [
            {
                "requested_at": _moment(request.requested_at),
                "reply_due_on": _day(request.reply_due_on),
                "documents": request.document_labels,
                "questions": request.questions,
                "answers": request.answers,
                "answered_at": _moment(request.answered_at),
            }
            for request in application.information_requests.all()
        ],
        "reconsiderations": [
            {
                "requested_at": _moment(item.requested_at),
                "grounds": item.grounds,
                "outcome": _label(item.Outcome.choices, item.outcome) if item.outcome else None,
                "decided_at": _moment(item.decided_at),
                "decision": item.decision_note,
            }
            for item in application.reconsiderations.all()
        ],
        "outcome": fulfilment_outcome_text(fulfilment) if fulfilment is not None else None,
        "answers_from_registries": [
            {
                "answer": fact.fact,
                "department": department_label(fact.source),
                "provided_on": _day(fact.provided_on),
                "confirmed_at": _moment(fact.confirmed_at),
                "corrected_at": _moment(fact.corrected_at),
            }
            for fact in application.prefilled_facts.all()
        ],
    }


def _message_data(message: Notification) -> dict:
    return {
        "at": _moment(message.sent_at or message.created_at),
        "channel": _label(Notification.Channel.choices, message.channel),
        "to": message.address,
        "subject": message.subject,
        "text": message.body,
        "state": _label(Notification.State.choices, message.state),
        "application": message.application.reference if message.application_id and message.application else None,
        # Each try to deliver it (applications.services.outbox): when, by which channel, with what result.
        "deliveries": [
            {
                "at": _moment(event.at),
                "channel": _label(Notification.Channel.choices, event.channel),
                "status": _label(Notification.State.choices, event.status),
                "attempt": event.attempt,
            }
            for event in message.delivery_events.all()
        ],
    }


def _kept_screening_data(person) -> dict | None:
    """The latest screening answers kept for the windows and reminders (applications.clocks)."""
    kept = KeptScreening.objects.filter(person=person).first()
    if kept is None:
        return None
    return {"screened_on": _day(kept.screened_on), "answers": kept.facts}


def _reminder_data(person) -> list[dict]:
    reminders = WindowReminder.objects.filter(person=person).select_related("programme").order_by("sent_on", "id")
    return [
        {
            "programme": reminder.programme.title,
            "closes_on": _day(reminder.closes_on),
            "days_before": reminder.days_before,
            "sent_on": _day(reminder.sent_on),
        }
        for reminder in reminders
    ]


def _registry_data(person: RegistryPerson) -> dict:
    facts = person.facts or {}
    try:
        described = describe_facts(facts)
    except (KeyError, TypeError, ValueError):
        described = []
    shown = {name: (question, answer) for name, question, answer in described}
    rows = []
    for name in sorted(facts, key=lambda n: (n not in shown, n)):
        source = (person.fact_sources or {}).get(name) or {}
        question, answer = shown.get(name, (name, str(facts[name])))
        rows.append(
            {
                "fact": name,
                "question": question,
                "answer": answer,
                "value": facts[name],
                "department": department_label(source["source"]) if source.get("source") else None,
                "recorded_on": source.get("on"),
            }
        )
    invitations = person.invitations.select_related("programme", "application").order_by("created_at", "id")
    messages = InvitationMessage.objects.filter(person=person).order_by("created_at", "id")
    return {
        "contact": {"full_name": person.full_name, "mobile": person.mobile, "email": person.email},
        "facts": rows,
        "opted_out_at": _moment(person.opted_out_at),
        "invitations": [
            {
                "programme": invitation.programme.title,
                "made_at": _moment(invitation.created_at),
                "sent_at": _moment(invitation.sent_at),
                "opened_at": _moment(invitation.opened_at),
                "application": invitation.application.reference if invitation.application else None,
            }
            for invitation in invitations
        ],
        "invitation_messages": [
            {
                "at": _moment(message.sent_at or message.created_at),
                "channel": _label(InvitationMessage.Channel.choices, message.channel),
                "to": message.address,
                "subject": message.subject,
                "text": message.body,
                "state": _label(InvitationMessage.State.choices, message.state),
            }
            for message in messages
        ],
    }


def personal_data_of(person) -> dict:
    """Everything the portal holds about ``person``, in the active language, as JSON-ready values:
    the account, each application with its answers, documents, payments and timeline, every
    message, and what department registries hold under the identity numbers the person gave.

    Staff's internal notes on a case and the audit trail are not part of it (see the services'
    docstring).
    """
    hashes = identity_hashes_of(person)
    registry = RegistryPerson.objects.filter(id_number_hash__in=hashes).order_by("pk") if hashes else []
    messages = (
        Notification.objects.filter(recipient=person)
        .select_related("application")
        .prefetch_related(Prefetch("delivery_events", queryset=DeliveryEvent.objects.order_by("at", "id")))
        .order_by("created_at", "id")
    )
    invitations_by_account = Invitation.objects.filter(application__applicant=person).values_list("person", flat=True)
    registry = list(registry)
    known = {row.pk for row in registry}
    registry += list(RegistryPerson.objects.filter(pk__in=list(invitations_by_account)).exclude(pk__in=known))
    return {
        "generated_at": _moment(timezone.now()),
        "account": {
            "login": person.username,
            "email": person.email,
            "mobile": person.mobile,
            "full_name": person.full_name,
            "preferred_language": person.preferred_language,
            "joined_at": _moment(person.date_joined),
            "confirmed_at": _moment(person.confirmed_at),
            "last_login_at": _moment(person.last_login),
        },
        "applications": [_application_data(application) for application in _applications_of(person)],
        "messages": [_message_data(message) for message in messages],
        "registry": [_registry_data(row) for row in registry],
        "kept_screening": _kept_screening_data(person),
        "window_reminders": _reminder_data(person),
    }


def drafts_of(person) -> QuerySet[Application]:
    """The person's unsent drafts, newest change first, with what the page lists."""
    return (
        Application.objects.filter(applicant=person, status=Status.DRAFT)
        .select_related("programme")
        .prefetch_related("documents")
        .order_by("-updated_at", "-pk")
    )
