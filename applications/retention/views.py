"""A person's own data: the account page with the downloads, and deleting drafts."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import Status
from applications.retention import pdf, selectors, services


@login_required
@require_GET
def personal_data(request):
    drafts = list(selectors.drafts_of(request.user))
    return render(
        request,
        "retention/data.html",
        {"drafts": drafts, "periods": selectors.retention_periods(timezone.localdate())},
    )


def _attachment(content: bytes, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = f"linghuo-personal-data-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def personal_data_json(request):
    data = services.personal_data_download(person=request.user, file_format="json", request=request)
    data["language"] = translation.get_language()
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _attachment(content, "application/json; charset=utf-8", "json")


@login_required
@require_GET
def personal_data_pdf(request):
    try:
        with transaction.atomic():  # no audit entry for a download that could not be made
            data = services.personal_data_download(person=request.user, file_format="pdf", request=request)
            content = pdf.personal_data_pdf(data)
    except pdf.PdfFontMissing:
        messages.error(request, _("The PDF cannot be made at the moment. Download the JSON file instead."))
        return redirect("retention:data")
    return _attachment(content, "application/pdf", "pdf")


@login_required
@require_http_methods(["GET", "POST"])
def draft_delete(request, pk: int):
    draft = get_object_or_404(selectors.drafts_of(request.user).filter(status=Status.DRAFT), pk=pk)
    if request.method == "POST":
        services.draft_delete(application=draft, acting_user=request.user, request=request)
        messages.success(
            request,
            _("Your unsent application for “%(programme)s” and its documents are deleted.")
            % {"programme": draft.programme.title},
        )
        return redirect("retention:data")
    return render(request, "retention/draft_delete.html", {"drafts": [draft], "one": True})


@login_required
@require_http_methods(["GET", "POST"])
def drafts_delete(request):
    drafts = list(selectors.drafts_of(request.user))
    if request.method == "POST":
        removed = services.drafts_delete(acting_user=request.user, request=request)
        if removed:
            messages.success(
                request, _("Unsent applications deleted, with their documents: %(count)s.") % {"count": len(removed)}
            )
        return redirect("retention:data")
    return render(request, "retention/draft_delete.html", {"drafts": drafts, "one": False})
