"""The queue's filters and sort orders (django-filter), read from the query string."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.selectors_staff import LISTED_STATUSES, STAFF_STATUSES
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

# Case age in days the filter accepts: ten years is older than any case can be; beyond
# it, date arithmetic would overflow.
MAX_AGE_DAYS = 3650
ALL_STATUSES = "all"


# Filters are built at import: the message is translated when shown, in the reader's language.
_days_message = lazy(lambda: gettext("Enter a whole number of days from 0 to %(max)s.") % {"max": MAX_AGE_DAYS}, str)


class DaysFilter(django_filters.NumberFilter):
    """A whole number of days from 0 to MAX_AGE_DAYS; anything else is a form error, not a 500."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        message = _days_message()
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_AGE_DAYS)
        kwargs.setdefault("error_messages", {"invalid": message, "min_value": message, "max_value": message})
        kwargs.setdefault(
            "widget", forms.NumberInput(attrs={"min": 0, "max": MAX_AGE_DAYS, "step": 1, "inputmode": "numeric"})
        )
        super().__init__(*args, **kwargs)


class QueueFilter(django_filters.FilterSet):
    programme = django_filters.ChoiceFilter(
        field_name="programme__slug",
        choices=lambda: [(p.slug, p.title) for p in Programme.objects.order_by("position", "slug")],
        label=_("Programme"),
        empty_label=_("All programmes"),
    )
    # By default the cases still to be worked on; finished ones (decided, withdrawn) on request.
    status = django_filters.ChoiceFilter(
        choices=[
            *((status.value, status.label) for status in STAFF_STATUSES),
            (ALL_STATUSES, _("All, finished cases too")),
        ],
        method="filter_status",
        label=_("Status"),
        empty_label=_("Open cases (not finished)"),
    )
    age_min = DaysFilter(method="filter_age_min", label=_("At least this many days old"))
    age_max = DaysFilter(method="filter_age_max", label=_("At most this many days old"))
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

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == ALL_STATUSES else queryset.filter(status=value)

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
        cleaned = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        if not cleaned.get("status"):
            queryset = queryset.filter(status__in=LISTED_STATUSES)
        chosen = cleaned.get("sort")
        return queryset.order_by(*SORTS[chosen if chosen in SORTS else DEFAULT_SORT][1])
