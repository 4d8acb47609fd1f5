"""Staff pages: the region's queue, one case, and the decisions on it.

Views parse input, check the role, call one selector or service and render.
The queue answers 403 to anyone who is not a caseworker or supervisor; a case
answers 404 unless it is a sent case of the viewer's region (a citizen or
another region's staff learn nothing about it).
"""

from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications import selectors_follow_up, selectors_staff
from applications.budgets.selectors import over_budget_reason
from applications.facts_form import describe_facts
from applications.models import ReasonCode, Status
from applications.selectors_delivery import case_messages
from applications.selectors_entitlements import entitlement_for
from applications.services import review
from applications.services.review import REVEALABLE_FIELDS
from applications.services.transitions import QUEUE_STATUSES, IllegalTransition
from applications.staff import viewing
from applications.staff.filters import QueueFilter
from applications.staff.forms import (
    ApproveForm,
    NoteForm,
    RejectForm,
    ReleaseForm,
    RequestInfoForm,
    ResumeReviewForm,
    ReturnForm,
    RevealForm,
)
from applications.staff.fulfilment_forms import fulfilment_case_context
from applications.staff.masking import mask_bank_account, mask_id_number
from eligibility.dates import age_on
from eligibility.fact_labels import staff_fact_label
from portal.pagination import KeyPaginator

QUEUE_PAGE_SIZE = 25


def staff_required(view):
    """Caseworkers and supervisors only; anyone else logged in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors_staff.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def staff_case(view):
    """Loads the case for its region's staff; 404 for everyone else, as if it did not exist."""

    @wraps(view)
    @login_required
    def wrapped(request, reference: str, *args, **kwargs):
        application = selectors_staff.case_for_staff(user=request.user, reference=reference)
        try:
            return view(request, application, *args, **kwargs)
        except PermissionDenied as exc:
            return render(
                request,
                "staff/forbidden.html",
                {"application": application, "message": str(exc) or _("You cannot do this.")},
                status=403,
            )

    return wrapped


# --- Queue ---------------------------------------------------------------------------------


@require_GET
@staff_required
def queue(request):
    today = timezone.localdate()
    queue_filter = QueueFilter(
        request.GET, queryset=selectors_staff.staff_queue(user=request.user, today=today), request=request
    )
    # The page's keys by a narrow query, then its 25 rows with their flags (portal.pagination).
    cases = queue_filter.qs
    paginator = KeyPaginator(
        cases, QUEUE_PAGE_SIZE, rows=lambda keys: cases.filter(pk__in=keys).defer(*selectors_staff.QUEUE_ROW_DEFERRED)
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for application in rows:
        application.age_days = _age_days(application.submitted_on, today)
    review.queue_view_record(viewer=request.user, applications=rows, request=request)
    return render(
        request,
        "staff/queue.html",
        {"filter": queue_filter, "page": page, "rows": rows, "today": today, "waiting_statuses": QUEUE_STATUSES},
    )


def _age_days(submitted_on: date | None, today: date) -> int | None:
    return (today - submitted_on).days if submitted_on else None


@require_POST
@staff_required
def claim_next(request):
    application = review.application_claim_next(caseworker=request.user)
    if application is None:
        messages.info(request, _("No case is waiting to be claimed in your region."))
        return redirect("staff:queue")
    messages.success(request, _("Case %(reference)s is now yours.") % {"reference": application.reference})
    return redirect("staff:case", reference=application.reference)


# --- One case --------------------------------------------------------------------------------


def _case_context(request, application, *, revealed: dict | None = None, **forms) -> dict:
    revealed = revealed or {}
    reveal_forms = forms.get("reveal_forms") or {}
    return {
        "application": application,
        "actions": review.case_actions(application=application, person=request.user),
        "amount": review.approval_amount(application),
        # Why it waits for a supervisor: the approval would exceed the budget (applications.budgets).
        "over_budget": over_budget_reason(application),
        "identity": {
            "id_number": revealed.get("id_number") or mask_id_number(application.id_number),
            "bank_account": revealed.get("bank_account") or mask_bank_account(application.bank_account),
        },
        "revealed": revealed,
        "reveal_forms": {field: reveal_forms.get(field) or RevealForm(field=field) for field in REVEALABLE_FIELDS},
        # Age, never the birth date: beside the masked number a birth date would narrow it down (masking.py).
        "age_at_submission": _age_at_submission(application),
        # The applicant's answers in the third person, as staff read them.
        "facts": [
            (name, staff_fact_label(name, question), answer)
            for name, question, answer in describe_facts(application.facts)
        ],
        "comparison": selectors_staff.evaluation_comparison(application=application),
        "duplicates": selectors_staff.case_duplicates(application=application, viewer=request.user),
        # What this person (identity number or account) has had of the programme (issue 14, item 5).
        "entitlement": entitlement_for(application, viewer=request.user),
        "note_form": forms.get("note_form") or NoteForm(),
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "request_form": forms.get("request_form") or RequestInfoForm(),
        "return_form": forms.get("return_form") or ReturnForm(),
        "reason_codes_exist": ReasonCode.objects.filter(active=True).exists(),
        "resume_form": forms.get("resume_form") or ResumeReviewForm(),
        **_follow_up_context(application),
        **fulfilment_case_context(application, forms.get("outcome_form")),
        # What was sent to the applicant and how each delivery went (issue 14, item 7).
        "case_messages": case_messages(application=application),
    }


def _age_at_submission(application) -> int | None:
    birth_date = application.birth_date
    on = application.submitted_on
    if birth_date is None or on is None or birth_date > on:
        return None
    return age_on(birth_date, on)


def _render_case(request, application, status: int = 200, **kwargs):
    return render(request, "staff/case.html", _case_context(request, application, **kwargs), status=status)


@require_GET
@staff_case
def case_detail(request, application):
    # One entry for the page and the documents it previews inline (the previews write none).
    documents = list(application.documents.all())
    review.case_view_record(application=application, viewer=request.user, request=request, documents=documents)
    viewing.previews_remember(request, documents)
    # A number revealed by the POST that sent the viewer here (audited there, with its reason), once.
    revealed = {field: getattr(application, field) for field in viewing.reveals_take(request, application)}
    return _render_case(request, application, revealed=revealed)


@require_POST
@staff_case
def case_reveal(request, application):
    """POST, with a reason, then back to the case page (PRG), which shows the number in full once."""
    field = request.POST.get("field")
    if field not in REVEALABLE_FIELDS:
        return redirect("staff:case", reference=application.reference)
    form = RevealForm(request.POST, field=field)
    if form.is_valid():
        try:
            review.personal_data_reveal(
                application=application,
                viewer=request.user,
                field=field,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            viewing.reveal_remember(request, application, field)
            return redirect(_case_url(application, "applicant-title"))
    return _render_case(request, application, status=400, reveal_forms={field: form})


@require_POST
@staff_case
def case_note(request, application):
    form = NoteForm(request.POST)
    return _act_on_form(
        request,
        application,
        form,
        form_name="note_form",
        act=lambda data: review.case_note_add(
            application=application, author=request.user, text=data["text"], request=request
        ),
        success=_("Note added."),
        error_field="text",
        done_url=_case_url(application, "timeline"),
    )


def _act_on_form(
    request,
    application,
    form,
    *,
    form_name: str,
    act,
    success: str,
    error_field: str | None = None,
    done_url: str | None = None,
    moved_on=(IllegalTransition,),
):
    """The shape of every decision made through a form on the case page: a valid
    form calls the service; the case having moved on meanwhile is said and shown;
    a refusal is shown at the form (400) with everything entered kept."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except moved_on as exc:
            return _moved_on(request, application, exc)
        except ValidationError as exc:
            form.add_error(error_field, exc)
        else:
            messages.success(request, success)
            return redirect(done_url or _case_url(application))
    return _render_case(request, application, status=400, **{form_name: form})


def _case_url(application, anchor: str = "") -> str:
    url = reverse("staff:case", kwargs={"reference": application.reference})
    return f"{url}#{anchor}" if anchor else url


def _moved_on(request, application, exc: Exception):
    """The case changed under the caseworker (someone else acted first): say so and show it as it is."""
    messages.error(request, str(exc))
    return redirect("staff:case", reference=application.reference)


@require_POST
@staff_case
def case_claim(request, application):
    try:
        review.application_claim(application=application, caseworker=request.user)
    except (review.CaseUnavailable, IllegalTransition) as exc:
        return _moved_on(request, application, exc)
    messages.success(request, _("Case %(reference)s is now yours.") % {"reference": application.reference})
    return redirect("staff:case", reference=application.reference)


@require_POST
@staff_case
def case_release(request, application):
    form = ReleaseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        review.application_release(application=application, caseworker=request.user, note=note)
    except (review.CaseUnavailable, IllegalTransition) as exc:
        return _moved_on(request, application, exc)
    messages.success(request, _("Case %(reference)s is back in the queue.") % {"reference": application.reference})
    return redirect("staff:queue")


@require_POST
@staff_case
def case_approve(request, application):
    form = ApproveForm(request.POST)  # an "amount" in the post is not a field: it is ignored
    if not form.is_valid():
        return _render_case(request, application, status=400, approve_form=form)
    try:
        review.application_approve(
            application=application, caseworker=request.user, note=form.cleaned_data["note"], request=request
        )
    except IllegalTransition as exc:
        return _moved_on(request, application, exc)
    except ValidationError as exc:  # the applicant's reply is not due yet
        form.add_error(None, exc)
        return _render_case(request, application, status=400, approve_form=form)
    if application.status == Status.PENDING_APPROVAL:
        messages.success(request, _("First approval recorded. The case now waits for a supervisor's approval."))
    else:
        messages.success(request, _("The application is approved. The applicant has been told."))
    return redirect("staff:case", reference=application.reference)


@require_POST
@staff_case
def case_reject(request, application):
    return _act_on_form(
        request,
        application,
        RejectForm(request.POST),
        form_name="reject_form",
        act=lambda data: review.application_reject(
            application=application,
            caseworker=request.user,
            reason_codes=list(data["reasons"]),
            free_text=data["free_text"],
            request=request,
        ),
        success=_("The application is refused. The applicant has been told why."),
    )


@require_POST
@staff_case
def case_request_info(request, application):
    return _act_on_form(
        request,
        application,
        RequestInfoForm(request.POST),
        form_name="request_form",
        act=lambda data: review.application_request_info(
            application=application,
            caseworker=request.user,
            document_kinds=data["document_kinds"],
            message=data["message"],
            request=request,
        ),
        success=_("The request is sent. The case waits for the applicant's answer."),
    )


@require_POST
@staff_case
def case_return(request, application):
    return _act_on_form(
        request,
        application,
        ReturnForm(request.POST),
        form_name="return_form",
        act=lambda data: review.application_return_to_review(
            application=application, supervisor=request.user, note=data["note"], request=request
        ),
        success=_("The case is back in review."),
        error_field="note",
        moved_on=(review.CaseUnavailable, IllegalTransition),
    )


def _follow_up_context(application) -> dict:
    """The request for information waiting for an answer, and a reconsideration beside the refusal."""
    information_request = selectors_follow_up.open_information_request(application)
    reconsiderations = list(application.reconsiderations.all())  # one at most
    reconsideration = reconsiderations[-1] if reconsiderations else None
    return {
        "information_request": information_request,
        "reply_overdue": information_request is not None and selectors_follow_up.reply_overdue(information_request),
        "reconsideration": reconsideration,
        "refusal_reasons": selectors_follow_up.reason_texts(reconsideration.rejection_reason_codes)
        if reconsideration
        else [],
        "reconsideration_rows": selectors_follow_up.reconsideration_comparison(reconsideration)
        if reconsideration
        else [],
    }


@require_POST
@staff_case
def case_resume_review(request, application):
    """The reply to a request was due and did not come: the case goes back into review."""
    return _act_on_form(
        request,
        application,
        ResumeReviewForm(request.POST),
        form_name="resume_form",
        act=lambda data: review.application_resume_review(
            application=application, caseworker=request.user, note=data["note"], request=request
        ),
        success=_("The case is back in review. You can decide on what it holds."),
        error_field="note",
        moved_on=(review.CaseUnavailable, IllegalTransition),
    )
