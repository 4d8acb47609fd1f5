"""The policy administrator's registry pages: upload a department's file, follow its import, look a person up.

Only staff with the registry permissions (the policy_admin role, migration
``registry.0002``) see them; the second factor is enforced for every staff page
by ``portal.accounts.middleware.TwoFactorRequiredMiddleware``. Everyone else
logged in gets 403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from applications.facts_form import describe_facts
from eligibility.registry import reading, selectors, services
from eligibility.registry.forms import RegistryLookupForm, RegistryUploadForm
from eligibility.registry.models import RegistryImport, RegistryPerson, department_label

IMPORTS_PAGE_SIZE = 20
PROBLEMS_PAGE_SIZE = 50


def _requires(check):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


importer_required = _requires(selectors.may_import)
registry_viewer_required = _requires(selectors.may_see_registry)


@require_http_methods(["GET", "POST"])
@importer_required
def imports(request):
    form = RegistryUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            registry_import = services.registry_import_create(
                name=upload.name,
                data=upload.read(),
                source=form.cleaned_data["source"],
                uploaded_by=request.user,
            )
        except reading.RegistryFileInvalid as invalid:
            form.add_error("file", invalid.message)
        else:
            return redirect("registry:import_detail", pk=registry_import.pk)
    page = Paginator(selectors.registry_imports(), IMPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/imports.html",
        {"form": form, "page": page, "imports": page.object_list},
        status=400 if form.errors else 200,
    )


@require_GET
@importer_required
def import_detail(request, pk: int):
    registry_import = get_object_or_404(selectors.registry_imports(), pk=pk)
    page = Paginator(selectors.registry_import_problems(registry_import), PROBLEMS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "registry/import_detail.html",
        {
            "registry_import": registry_import,
            "page": page,
            "problems": page.object_list,
            "status_url": reverse("registry:import_status", args=[registry_import.pk]),
        },
    )


@never_cache
@require_GET
@importer_required
def import_status(request, pk: int):
    registry_import = get_object_or_404(RegistryImport, pk=pk)
    return JsonResponse(
        {
            "state": registry_import.state,
            "state_label": registry_import.get_state_display(),
            "finished": registry_import.is_finished,
            "percent": registry_import.percent,
            "total": registry_import.total,
            "processed": registry_import.processed,
            "created": registry_import.created,
            "updated": registry_import.updated,
            "deleted": registry_import.deleted,
            "rejected": registry_import.rejected,
            "error": registry_import.error,
        }
    )


@require_http_methods(["GET", "POST"])
@registry_viewer_required
def person_lookup(request):
    """What departments hold about one person; the identity number is posted, never put in a URL."""
    form = RegistryLookupForm(request.POST or None)
    person = None
    rows = []
    searched = False
    if request.method == "POST" and form.is_valid():
        searched = True
        person = selectors.registry_person_for_id_number(form.cleaned_data["id_number"])
        if person is not None:
            with transaction.atomic():
                services.registry_person_viewed(person=person, actor=request.user, purpose="lookup", request=request)
            for name, question, shown in describe_facts(person.facts):
                source = person.source_of(name)
                rows.append({"name": name, "question": question, "shown": shown, "source": source})
    details = []
    if person is not None:
        for name, value in (("full_name", person.full_name), ("mobile", person.mobile), ("email", person.email)):
            origin = (person.detail_sources or {}).get(name)
            details.append(
                {
                    "label": RegistryPerson._meta.get_field(name).verbose_name,
                    "value": value,
                    "source": (department_label(origin["source"]), origin["on"]) if origin else None,
                }
            )
    return render(
        request,
        "registry/person.html",
        {"form": form, "person": person, "rows": rows, "details": details, "searched": searched},
        status=400 if form.errors else 200,
    )
