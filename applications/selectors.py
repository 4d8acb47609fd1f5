"""Reads for application pages; each returns what its page shows in a fixed number of queries."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from applications.models import Application, CaseEvent, Document, Notification, Status


def applications_of(person) -> QuerySet[Application]:
    # Documents: a draft's "continue" link goes to its first unfinished step, which may be the documents.
    return (
        Application.objects.filter(applicant=person)
        .select_related("programme")
        # Answers taken from a registry: a document a department holds is not asked for (applications.outreach).
        .prefetch_related("documents", "prefilled_facts")
        .order_by("-updated_at")
    )


def draft_for_owner(person, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("programme", "applicant").prefetch_related("documents", "prefilled_facts"),
        pk=pk,
        applicant=person,
    )


def case_for_owner(person, reference: str) -> Application:
    """A submitted application of ``person``; another person's answers 404, as if it did not exist."""
    return get_object_or_404(
        Application.objects.select_related("programme", "applicant").prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("uploaded_at")),
            Prefetch("events", queryset=CaseEvent.objects.filter(internal=False).select_related("actor")),
            "payments",
            "reconsiderations",
            "information_requests",
            Prefetch(
                "notifications",
                queryset=Notification.objects.filter(channel=Notification.Channel.INBOX),
                to_attr="inbox_messages",
            ),
        ),
        reference=reference,
        applicant=person,
    )


def document_for_viewer(person, token) -> Document:
    """The document with link ``token``, if ``person`` may open it; anything else answers 404.

    Its owner may open it at any time (a draft's files too). Staff (caseworkers
    and supervisors) only through a case of their own region, and only once the
    application was submitted: nobody at the office sees a draft.
    """
    document = get_object_or_404(Document.objects.select_related("application"), token=token)
    application = document.application
    if application.applicant_id == person.pk:
        return document
    submitted = application.status != Status.DRAFT and application.submitted_at is not None
    staff = getattr(person, "is_caseworker", False) or getattr(person, "is_supervisor", False)
    if staff and submitted and person.region and person.region == application.region:
        return document
    raise Http404


def inbox_of(person) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=person, channel=Notification.Channel.INBOX).select_related(
        "application"
    )


# What each step of the form can take over from the person's earlier application.
REUSABLE_DETAILS = {
    "personal": ("full_name", "id_number", "mobile", "address"),
    "payment": ("bank_name", "bank_account"),
}


def previous_details_source(person, *, application: Application, step: str) -> Application | None:
    """The person's own most recent other application (sent or draft) that holds the details of ``step``.

    Only ``person``'s applications are read, so nobody is ever offered another person's details.
    """
    fields = REUSABLE_DETAILS.get(step)
    if not fields:
        return None
    candidates = (
        Application.objects.filter(applicant=person)
        .exclude(pk=application.pk)
        .exclude(**{fields[0]: ""})
        .exclude(**{fields[1]: ""})
        .select_related("programme")
        .order_by("-updated_at", "-pk")
    )
    return candidates.first()
