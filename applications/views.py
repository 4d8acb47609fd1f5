"""Citizen pages: start, the step-by-step form, check answers, submit, follow the case."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from applications import case_summary, previews, selectors, selectors_follow_up
from applications.clocks.selectors import application_windows, person_windows
from applications.documents import EXTENSIONS, PDF, application_required_documents, required_documents
from applications.facts_form import SituationForm, describe_facts
from applications.forms import (
    DeclarationForm,
    DocumentUploadForm,
    InfoResponseForm,
    PaymentForm,
    PersonalForm,
    ReconsiderationForm,
    WithdrawForm,
)
from applications.models import AuditEntry, Document, Status
from applications.outreach.forms import prefill_mark_form
from applications.programme_details_step import programme_details_step
from applications.selectors_entitlements import entitlement_for
from applications.services import documents as document_services
from applications.services import follow_up, intake
from applications.services.audit import audit_record
from applications.services.fulfilment import programme_details_display
from applications.services.notifications import inbox_mark_read, inbox_messages_in_language
from applications.services.transitions import IllegalTransition
from applications.staff.viewing import preview_already_audited, previews_remember
from eligibility.models import Programme
from eligibility.screener.storage import screening_answers
from portal.accounts.decorators import confirmed_account_required

logger = logging.getLogger(__name__)


def _screening_facts(request) -> dict:
    """Answers the person gave in the anonymous screener, to pre-fill the form."""
    return screening_answers(request)


@login_required
def application_list(request):
    rows = [
        (application, _resume_url(application) if application.status == Status.DRAFT else None)
        for application in selectors.applications_of(request.user)
    ]
    # The windows that apply to the person and the date each closes (issue 14, item 6).
    windows = person_windows(request.user, today=timezone.localdate())
    return render(request, "applications/list.html", {"rows": rows, "windows": windows})


@login_required
@confirmed_account_required
@require_http_methods(["GET", "POST"])
def application_new(request, slug: str):
    programme = get_object_or_404(Programme, slug=slug)
    if request.method == "POST":
        try:
            application = intake.application_start(
                applicant=request.user, programme=programme, facts=_screening_facts(request)
            )
        except intake.AlreadyApplied as exc:
            messages.info(request, _("You have already applied for this programme. Here is your application."))
            return redirect("applications:case", reference=exc.application.reference)
        except ValidationError as exc:  # the screening says the person lives outside the region served
            messages.error(request, exc.messages[0])
            return redirect("applications:new", slug=programme.slug)
        return redirect(_resume_url(application))
    return render(
        request,
        "applications/new.html",
        {
            "programme": programme,
            "documents": [
                Document.Kind(k).label for k in required_documents(programme.slug, _screening_facts(request))
            ],
        },
    )


def _resume_url(application) -> str:
    """The first step the person has not finished, or the check page when every step is done."""
    step = intake.first_unfinished_step(application)
    if step is None:
        return reverse("applications:check", kwargs={"pk": application.pk})
    return reverse("applications:step", kwargs={"pk": application.pk, "step": step})


@login_required
def draft_resume(request, pk: int):
    application = selectors.draft_for_owner(request.user, pk)
    if application.status != Status.DRAFT:
        return redirect("applications:case", reference=application.reference)
    return redirect(_resume_url(application))


def _step_context(application, step: str, form) -> dict:
    steps = intake.steps_for(application)
    index = steps.index(step)
    return {
        "application": application,
        "programme": application.programme,
        "form": form,
        "step": step,
        "steps": steps,
        "step_number": index + 1,
        "step_count": len(steps) + 1,  # and "check your answers"
        "previous_step": steps[index - 1] if index else None,
    }


def _next_url(application, step: str) -> str:
    steps = intake.steps_for(application)
    index = steps.index(step)
    if index + 1 < len(steps):
        return reverse("applications:step", kwargs={"pk": application.pk, "step": steps[index + 1]})
    return reverse("applications:check", kwargs={"pk": application.pk})


def _after_save(request, application, step: str):
    if "save_and_exit" in request.POST:
        messages.success(request, _("Your answers are saved. You can come back to them from “My applications”."))
        return redirect("applications:list")
    if request.GET.get("return") == "check":
        return redirect("applications:check", pk=application.pk)
    return redirect(_next_url(application, step))


@login_required
@require_http_methods(["GET", "POST"])
def application_step(request, pk: int, step: str):
    application = selectors.draft_for_owner(request.user, pk)
    if application.status != Status.DRAFT:
        return redirect("applications:case", reference=application.reference)
    if step not in intake.steps_for(application):
        return redirect("applications:step", pk=pk, step=intake.steps_for(application)[0])
    handler = STEP_HANDLERS[step]
    return handler(request, application)


def _previous_details(request, application, step: str):
    """The person's earlier application whose details this step may take over, and whether they asked to.

    Offered only while the step has not been saved on this application; the
    ``prefill`` parameter is honoured only for that same application of theirs.
    """
    if step in application.completed_steps:
        return None, False
    source = selectors.previous_details_source(request.user, application=application, step=step)
    if source is None:
        return None, False
    return source, request.method == "GET" and request.GET.get("prefill") == str(source.pk)


def _prefill_context(request, context: dict, source, used: bool, preview: list) -> dict:
    if used:
        messages.info(
            request,
            _("We filled in the details from your earlier application. Check them and change what is different."),
        )
    elif source is not None:
        context["prefill_source"] = source
        context["prefill_preview"] = preview
    return context


def _personal_step(request, application):
    source, use_source = _previous_details(request, application, "personal")
    filled_from = source if use_source else application
    initial = {
        "full_name": filled_from.full_name,
        "id_number": filled_from.id_number,
        "birth_date": filled_from.facts.get("birth_date"),
        "mobile": filled_from.mobile or application.mobile or request.user.mobile,
        "address": filled_from.address,
    }
    form = PersonalForm(request.POST or None, initial=initial)
    prefill_mark_form(form, application)  # answers taken from a registry say who provided them
    if request.method == "POST" and form.is_valid():
        intake.application_save_personal(application=application, **form.cleaned_data)
        return _after_save(request, application, "personal")
    context = _step_context(application, "personal", form)
    preview = case_summary.personal_details(source)[:2] if source else []
    return render(
        request, "applications/step_personal.html", _prefill_context(request, context, source, use_source, preview)
    )


def _situation_step(request, application):
    form = SituationForm(request.POST or None, programme=application.programme, initial_facts=application.facts)
    prefill_mark_form(form, application)  # answers taken from a registry say who provided them
    if request.method == "POST" and form.is_valid():
        try:
            intake.application_save_facts(application=application, facts=form.facts())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _after_save(request, application, "situation")
    context = _step_context(application, "situation", form)
    # Said only where answers on this page did come from the person's screening.
    context["prefilled_from_screening"] = bool(set(application.screening_facts) & set(form.fields))
    return render(request, "applications/step_situation.html", context)


def _payment_step(request, application):
    source, use_source = _previous_details(request, application, "payment")
    filled_from = source if use_source else application
    initial = {"bank_name": filled_from.bank_name, "bank_account": filled_from.bank_account}
    form = PaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        intake.application_save_payment(application=application, **form.cleaned_data)
        return _after_save(request, application, "payment")
    context = _step_context(application, "payment", form)
    preview = case_summary.payment_details(source) if source else []
    return render(
        request, "applications/step_payment.html", _prefill_context(request, context, source, use_source, preview)
    )


def _documents_step(request, application):
    kinds = application_required_documents(application)
    form = DocumentUploadForm(kinds=[*kinds, Document.Kind.OTHER])
    missing: list[str] = []
    if request.method == "POST" and "upload" in request.POST:
        form = DocumentUploadForm(request.POST, request.FILES, kinds=[*kinds, Document.Kind.OTHER])
        if _attach_uploaded(request, application, form):
            return redirect("applications:step", pk=application.pk, step="documents")
    elif request.method == "POST":
        try:
            intake.application_mark_documents_done(application=application)
        except intake.ApplicationIncomplete:
            if "save_and_exit" in request.POST:  # files already sent are kept; the rest can come later
                return _after_save(request, application, "documents")
            missing = intake.missing_document_kinds(application)
        else:
            return _after_save(request, application, "documents")
    context = _step_context(application, "documents", form)
    have = {}
    for document in application.documents.all():
        have.setdefault(document.kind, []).append(document)
    context["required"] = [(Document.Kind(k), have.get(k, []), k in missing) for k in kinds]
    context["missing"] = [Document.Kind(k) for k in missing]
    context["other_documents"] = have.get(Document.Kind.OTHER, [])
    return render(request, "applications/step_documents.html", context)


def _attach_uploaded(request, application, form) -> bool:
    """Attaches the file of a valid upload form; a refusal is shown at the file field."""
    if not form.is_valid():
        return False
    try:
        document_services.document_attach(
            application=application,
            kind=form.cleaned_data["kind"],
            uploaded=form.cleaned_data["file"],
            acting_user=request.user,
        )
    except ValidationError as exc:
        form.add_error("file", exc)
        return False
    messages.success(request, _("Uploaded. We are checking the file."))
    return True


STEP_HANDLERS = {
    "personal": _personal_step,
    "situation": _situation_step,
    "project": programme_details_step,
    "payment": _payment_step,
    "documents": _documents_step,
}


@login_required
@require_POST
def document_remove(request, pk: int, document_pk: int):
    application = selectors.draft_for_owner(request.user, pk)
    document = get_object_or_404(Document, pk=document_pk, application=application)
    try:
        document_services.document_remove(document=document, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("applications:step", pk=pk, step="documents")


@login_required
@require_http_methods(["GET", "POST"])
def application_check(request, pk: int):
    application = selectors.draft_for_owner(request.user, pk)
    if application.status != Status.DRAFT:
        return redirect("applications:case", reference=application.reference)
    form = DeclarationForm(request.POST or None)
    problems = intake.submission_problems(application)
    if request.method == "POST":
        declared = form.is_valid()
        try:
            application = intake.application_submit(
                application=application, acting_user=request.user, declaration=declared
            )
        except intake.ApplicationIncomplete as exc:
            problems = exc.problems
        else:
            return redirect("applications:confirmation", reference=application.reference)
    preview = intake.application_evaluate(application=application, as_of=timezone.localdate())
    entitlement = entitlement_for(application)
    refused = entitlement is not None and bool(entitlement.refusal)
    return render(
        request,
        "applications/check.html",
        {
            "application": application,
            "programme": application.programme,
            "form": form,
            "problems": problems,
            "steps": intake.steps_for(application),
            "preview": preview,
            "facts_display": _facts_display(application),
            "programme_details": programme_details_display(application),
            # What the person has had of the programme already, and when it must be sent by (issue 14):
            # no deadline for a claim that cannot be made.
            "entitlement": entitlement,
            "windows": [] if refused else application_windows(application, today=timezone.localdate()),
        },
    )


def _facts_display(application) -> list[tuple[str, str, str]]:
    return describe_facts(application.facts, application.programme.slug)


@login_required
def application_confirmation(request, reference: str):
    application = selectors.case_for_owner(request.user, reference)
    return render(request, "applications/confirmation.html", {"application": application})


@login_required
def case_detail(request, reference: str):
    application = selectors.case_for_owner(request.user, reference)
    return render(request, "applications/case.html", _case_context(application))


def _case_context(application, *, upload_form=None, response_form=None, reconsider_form=None) -> dict:
    information_request = selectors_follow_up.open_information_request(application)
    # Each message in the reader's language of today, as in the inbox.
    inbox_messages_in_language(application.inbox_messages, language=translation.get_language())
    return {
        "information_request": information_request,
        "reconsideration_window": selectors_follow_up.reconsideration_window(application),
        "reconsideration": next(iter(application.reconsiderations.all()), None),
        "reconsider_form": reconsider_form or ReconsiderationForm(),
        "application": application,
        "next_step": case_summary.next_step(application),
        "personal_details": case_summary.personal_details(application),
        "payment_details": case_summary.payment_details(application) if application.bank_account else [],
        "facts_display": _facts_display(application),
        "programme_details": programme_details_display(application),
        "response_form": response_form or InfoResponseForm(information_request=information_request),
        "upload_form": upload_form or DocumentUploadForm(),
        "open_request": _open_request(application),
        "entitlement": entitlement_for(application),
    }


def _open_request(application):
    if application.status != Status.INFO_REQUESTED:
        return None
    requests = [e for e in application.events.all() if e.to_status == Status.INFO_REQUESTED]
    return requests[-1] if requests else None


@login_required
@require_http_methods(["GET", "POST"])
def case_withdraw(request, reference: str):
    """Asks first, on a page of its own: withdrawing cannot be undone."""
    application = selectors.case_for_owner(request.user, reference)
    if not application.can_be_withdrawn:
        return redirect("applications:case", reference=reference)
    form = WithdrawForm(request.POST if request.method == "POST" else None)  # the reason may be empty
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "applications/withdraw.html", {"application": application, "form": form}, status=status)
    try:
        intake.application_withdraw(
            application=application, acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except (IllegalTransition, ValidationError) as exc:  # decided meanwhile, or not theirs
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Your application is withdrawn. Nothing more will happen with it."))
    return redirect("applications:case", reference=reference)


@login_required
@require_POST
def case_upload(request, reference: str):
    application = selectors.case_for_owner(request.user, reference)
    form = DocumentUploadForm(request.POST, request.FILES)
    if _attach_uploaded(request, application, form):
        return redirect("applications:case", reference=reference)
    return render(request, "applications/case.html", _case_context(application, upload_form=form), status=400)


@login_required
@require_POST
def case_respond(request, reference: str):
    application = selectors.case_for_owner(request.user, reference)
    information_request = selectors_follow_up.open_information_request(application)
    form = InfoResponseForm(request.POST, request.FILES, information_request=information_request)
    if form.is_valid():
        try:
            follow_up.application_answer_information_request(
                application=application,
                acting_user=request.user,
                files=form.files_by_kind,
                answers=form.answers,
                comment=form.cleaned_data.get("comment", ""),
            )
        except ValidationError as exc:
            if exc.code in ("no_request", "not_owner"):  # answered or closed meanwhile
                messages.error(request, exc.messages[0])
                return redirect("applications:case", reference=reference)
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you. Your answer is sent and your application is back with us."))
            return redirect("applications:case", reference=reference)
    return render(request, "applications/case.html", _case_context(application, response_form=form), status=400)


@login_required
@require_POST
def case_reconsider(request, reference: str):
    """The applicant asks for a refusal to be looked at again, with reasons and any new documents."""
    application = selectors.case_for_owner(request.user, reference)
    form = ReconsiderationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            follow_up.application_request_reconsideration(
                application=application,
                acting_user=request.user,
                grounds=form.cleaned_data["grounds"],
                files=form.cleaned_data["files"],
                request=request,
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) in follow_up.RECONSIDERATION_UNAVAILABLE:  # the form is gone: say why
                messages.error(request, exc.messages[0])
                return redirect("applications:case", reference=reference)
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Your request is sent. A colleague who did not decide before will look at it again.")
            )
            return redirect("applications:case", reference=reference)
    return render(request, "applications/case.html", _case_context(application, reconsider_form=form), status=400)


def _audit_document_view(request, document) -> None:
    """Staff opening a document is audited; a preview embedded in a staff case page is listed in
    that page's own audit entry (``applications.staff.viewing``)."""
    if document.application.applicant_id == request.user.pk or preview_already_audited(request, document):
        return
    audit_record(
        actor=request.user,
        action=AuditEntry.Action.VIEW_DOCUMENT,
        application=document.application,
        details={"document": document.pk, "kind": document.kind},
        request=request,
    )
    # The page images this look shows (``?preview=case``) are part of it, not looks of their own.
    previews_remember(request, [document])


def _stored_file(document, read, *arguments):
    """``read(*arguments)``, or 404 when the document's file is not in storage (lost, or a row made without
    its file, as ``manage.py seed_bench`` makes them): the page that embeds it still shows, and it is logged."""
    try:
        return read(*arguments)
    except FileNotFoundError as missing:
        logger.error("document %s: its file %s is not in storage", document.pk, document.file.name)
        raise Http404 from missing


@login_required
@xframe_options_sameorigin  # staff preview images inline on the case page
def document_file(request, token):
    document = selectors.document_for_viewer(request.user, token)
    handle = _stored_file(document, document.file.open, "rb")
    _audit_document_view(request, document)
    response = FileResponse(handle, content_type=document.content_type)
    extension = EXTENSIONS.get(document.content_type, "bin")
    # A PDF is never shown by the browser's PDF viewer (it runs the file's JavaScript, and shows
    # nothing in a sandbox): it is downloaded; staff see its pages as images (document_pages).
    disposition = "attachment" if document.content_type == PDF else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="document-{document.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
    )
    return response


# The frame page shows only <img> of the page images: no script may run (no allow-scripts, no
# script-src), and allow-same-origin lets its image requests carry the session cookie (a fully
# sandboxed frame has an opaque origin, and the browser sends no SameSite cookie from it).
PAGES_POLICY = "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'self'; sandbox allow-same-origin"
PAGE_IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@login_required
@xframe_options_sameorigin  # embedded in the staff case page
def document_pages(request, token):
    """A PDF's first pages as images, for staff; the frame the case page embeds."""
    document = selectors.document_for_viewer(request.user, token)
    if document.content_type != PDF:
        raise Http404
    preview = _stored_file(document, previews.pdf_preview, document)
    _audit_document_view(request, document)
    response = render(request, "applications/document_pages.html", {"document": document, "preview": preview})
    response["Content-Security-Policy"] = PAGES_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_page_image(request, token, number: int):
    document = selectors.document_for_viewer(request.user, token)
    if document.content_type != PDF:
        raise Http404
    image = _stored_file(document, previews.page_image, document, number)
    if image is None:
        raise Http404
    _audit_document_view(request, document)
    response = HttpResponse(image, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}-page-{number}.png"'
    response["Content-Security-Policy"] = PAGE_IMAGE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def inbox(request):
    # In the reader's language of today, whatever language each message was sent in.
    messages_list = inbox_messages_in_language(
        list(selectors.inbox_of(request.user)[:100]), language=request.LANGUAGE_CODE
    )
    # Rendered first, so that what is new now is shown as new this once.
    response = render(request, "applications/inbox.html", {"notifications": messages_list})
    inbox_mark_read(person=request.user, notification_ids=[n.pk for n in messages_list if n.read_at is None])
    return response
