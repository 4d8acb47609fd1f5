"""The audit trail page for supervisors: who did what, to which application, when.

Supervisors read the entries of their own region only
(``audit.audit_entries_for_supervisor``); everybody else is refused.
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.audit_wording import audit_sentences
from applications.models import AuditEntry
from applications.services.audit import audit_entries_for_supervisor
from portal.db_router import reading_from_replica
from portal.pagination import KeyPaginator

ENTRIES_PER_PAGE = 50
# Past this many entries the page says "more than" and the reader narrows the search (by date,
# person, action or case) rather than the database counting millions of rows: 200 pages.
COUNT_CAP = 10_000
TEXT = {"class": "form-control"}
# The dates a search may name: the portal keeps no entry from before 2000, and a far
# future date is a typing error (and beyond it, date arithmetic overflows).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def _start_of(day) -> datetime:
    """Midnight at the start of ``day`` in the portal's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _day_bounds() -> list:
    message = gettext_lazy("Enter a date from 2000-01-01 to 2099-12-31.")
    return [MinValueValidator(EARLIEST_DAY, message), MaxValueValidator(LATEST_DAY, message)]


class AuditSearchForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
            cleaned.pop("date_to", None)  # the other filters still apply
        return cleaned


class AuditEntryFilter(django_filters.FilterSet):
    reference = django_filters.CharFilter(
        label=gettext_lazy("Application reference"),
        method="filter_reference",
        widget=forms.TextInput(attrs=TEXT),
    )
    actor = django_filters.CharFilter(
        label=gettext_lazy("Who"),
        method="filter_actor",
        widget=forms.TextInput(attrs=TEXT),
        help_text=gettext_lazy("Login, e-mail address, mobile number or part of the name."),
    )
    action = django_filters.ChoiceFilter(
        label=gettext_lazy("What"),
        choices=AuditEntry.Action.choices,
        empty_label=gettext_lazy("Any"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date_from = django_filters.DateFilter(
        label=gettext_lazy("From"),
        method="filter_date_from",
        validators=_day_bounds(),
        widget=forms.DateInput(
            attrs={**TEXT, "type": "date", "min": EARLIEST_DAY.isoformat(), "max": LATEST_DAY.isoformat()},
            format="%Y-%m-%d",
        ),
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("To"),
        method="filter_date_to",
        validators=_day_bounds(),
        widget=forms.DateInput(
            attrs={**TEXT, "type": "date", "min": EARLIEST_DAY.isoformat(), "max": LATEST_DAY.isoformat()},
            format="%Y-%m-%d",
        ),
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []
        form = AuditSearchForm

    def filter_reference(self, queryset, name, value):
        # References are upper case (LH-2026-000123): the input is too, so the unique index finds the case.
        return queryset.filter(application__reference=value.strip().upper())

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(actor__username__iexact=value)
            | Q(actor__email__iexact=value)
            | Q(actor__mobile=value)
            | Q(actor__full_name__icontains=value)
        )

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + timedelta(days=1)))  # the whole day, inclusive


@login_required
@reading_from_replica()
def audit_entries(request):
    if not request.user.is_supervisor:
        raise PermissionDenied(_("Only supervisors can read the audit trail."))
    entries = AuditEntryFilter(request.GET or None, queryset=audit_entries_for_supervisor(request.user))
    # A field in error is left out (and said at the form); the page lists by the other filters.
    # The page's keys were found under the supervisor's filters: its rows are read by key alone.
    shown = AuditEntry.objects.select_related("actor", "application")
    page = KeyPaginator(
        entries.qs, ENTRIES_PER_PAGE, cap=COUNT_CAP, rows=lambda keys: shown.filter(pk__in=keys)
    ).get_page(request.GET.get("page"))
    rows = audit_sentences(page.object_list)
    return render(
        request,
        "audit/entries.html",
        {
            "form": entries.form,
            "page": page,
            "rows": rows,
            "region": request.user.region,
            "registry_uses": request.user.region == settings.LINGHUO_REGION_CODE,
        },
    )
