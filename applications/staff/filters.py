"""The queue's filters and sort orders (django-filter), read from the query string."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.selectors_staff import STAFF_STATUSES
from eligibility.models import Programme

FLAGS = [
    ("duplicate_identity", _("Same identity number on another person's application")),
    ("duplicate_file", _("Same file on another person's application")),
    ("document_problem", _("A document failed its check")),
    ("overdue", _("Decision overdue")),
]
FLAG_FIELDS = {
    "duplicate_identity": "flag_duplicate_identity",
    "duplicate_file": "flag_duplicate_file",
    "document_problem": "flag_document_problem",
    "overdue": "flag_overdue",
}

ASSIGNMENT = [("mine", _("Assigned to me")), ("unassigned", _("Not assigned"))]

# The order of the review pipeline, for sorting by status.
_STATUS_ORDER = Case(
    *(When(status=status, then=Value(position)) for position, status in enumerate(STAFF_STATUSES)),
    output_field=IntegerField(),
)
SORTS = {
    "due": (_("Decision due, soonest first"), [F("sla_due_on").asc(nulls_last=True), "submitted_at", "pk"]),
    "-due": (_("Decision due, latest first"), [F("sla_due_on").desc(nulls_last=True), "submitted_at", "pk"]),
    "oldest": (_("Oldest first"), ["submitted_at", "pk"]),
    "newest": (_("Newest first"), ["-submitted_at", "-pk"]),
    "programme": (_("Programme"), ["programme__position", "submitted_at", "pk"]),
    "status": (_("Status"), [_STATUS_ORDER, "submitted_at", "pk"]),
}
DEFAULT_SORT = "due"


class QueueFilter(django_filters.FilterSet):
    programme = django_filters.ChoiceFilter(
        field_name="programme__slug",
        choices=lambda: [(p.slug, p.title) for p in Programme.objects.order_by("position", "slug")],
        label=_("Programme"),
        empty_label=_("All programmes"),
    )
    status = django_filters.ChoiceFilter(
        choices=[(status.value, status.label) for status in STAFF_STATUSES],
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    age_min = django_filters.NumberFilter(
        method="filter_age_min",
        label=_("At least this many days old"),
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
    )
    age_max = django_filters.NumberFilter(
        method="filter_age_max",
        label=_("At most this many days old"),
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
    )
    due_by = django_filters.DateFilter(
        field_name="sla_due_on",
        lookup_expr="lte",
        label=_("Decision due on or before"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    flags = django_filters.MultipleChoiceFilter(
        choices=FLAGS,
        method="filter_flags",
        label=_("Only cases flagged with"),
        widget=forms.CheckboxSelectMultiple,
    )
    assigned = django_filters.ChoiceFilter(
        choices=ASSIGNMENT, method="filter_assigned", label=_("Assigned"), empty_label=_("Anybody or nobody")
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        method="filter_sort_noop",
        label=_("Sort by"),
        empty_label=None,
    )

    def _today(self):
        return timezone.localdate()

    def filter_age_min(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Age is whole days since submission: at least N days means sent on or before today − N.
        return queryset.filter(submitted_on__lte=self._today() - timedelta(days=int(value)))

    def filter_age_max(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(submitted_on__gte=self._today() - timedelta(days=int(value)))

    def filter_flags(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # Every flag ticked must hold.
        return queryset.filter(**{FLAG_FIELDS[flag]: True for flag in value if flag in FLAG_FIELDS})

    def filter_assigned(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "mine":
            return queryset.filter(assigned_to=self.request.user)
        if value == "unassigned":
            return queryset.filter(Q(assigned_to__isnull=True))
        return queryset

    def filter_sort_noop(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset, with a default

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        chosen = self.form.cleaned_data.get("sort") if hasattr(self.form, "cleaned_data") else None
        return queryset.order_by(*SORTS[chosen if chosen in SORTS else DEFAULT_SORT][1])
