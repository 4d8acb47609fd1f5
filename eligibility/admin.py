"""The admin pages of policy administrators.

Programmes and parameters are read here. Policy administrators change a parameter
in the policy console (``eligibility.console``): a proposal from a date, approved
by another administrator (issue 14). The admin's own "add a value from a date" page
(``services.parameter_value_add``, with the same checks) and the deletion of a value
not yet in force remain for superusers only, who repair what a proposal cannot.
Values in force are read-only and cannot be deleted. The change log and the
proposals are read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import JSONField, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from eligibility import history, services
from eligibility.models import (
    IncubatorSite,
    Parameter,
    ParameterChange,
    ParameterProposal,
    ParameterValue,
    Programme,
    TrainingCourse,
)
from eligibility.parameter_cache import policy_version_bump
from eligibility.parameter_types import ParameterType, display_value


def _value_status(row: ParameterValue) -> str:
    today = history.today()
    if row.valid_from > today:
        return _("takes effect on %(date)s") % {"date": date_format(row.valid_from, "DATE_FORMAT")}
    superseded = ParameterValue.objects.filter(
        parameter_id=row.parameter_id, valid_from__gt=row.valid_from, valid_from__lte=today
    ).exists()
    return _("superseded") if superseded else _("in force")


class ProgrammeForm(forms.ModelForm):
    """A programme's declared end: on or after its start, and never moved once it has come."""

    class Meta:
        model = Programme
        fields = ("in_force_until", "title_zh", "title_en", "summary_zh", "summary_en", "sources")

    def clean_in_force_until(self):
        end = self.cleaned_data.get("in_force_until")
        before = self.instance.in_force_until if self.instance.pk else None
        if end == before:
            return end
        if end is not None and end < self.instance.in_force_from:
            raise ValidationError(_("The end must not come before the date the programme is in force from."))
        if any(day is not None and history.is_in_force(day) for day in (before, end)):
            raise ValidationError(_("An end that is today or earlier is history: it can no longer be set or moved."))
        return end


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ("position", "slug", "title", "kind", "per", "in_force_from", "in_force_until")
    list_display_links = ("slug",)
    readonly_fields = ("slug", "position", "kind", "per", "in_force_from")
    fields = (
        "slug",
        "position",
        "kind",
        "per",
        "in_force_from",
        "in_force_until",
        "title_zh",
        "title_en",
        "summary_zh",
        "summary_en",
        "sources",
    )

    def has_add_permission(self, request):
        return False  # a programme's rules are code; new programmes come with a release

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        policy_version_bump()  # in the admin's transaction: screenings see the new texts on commit


class ParameterValueInline(admin.TabularInline):
    model = ParameterValue
    fields = ("valid_from", "shown_value", "status", "note", "created_by", "created_at")
    readonly_fields = fields
    ordering = ("-valid_from",)
    extra = 0
    can_delete = False
    verbose_name_plural = _("history of values")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("value"))
    def shown_value(self, row: ParameterValue) -> str:
        return row.display

    @admin.display(description=_("status"))
    def status(self, row: ParameterValue) -> str:
        return _value_status(row)


class ValueAddForm(forms.Form):
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The first day the value applies: after today, since values in force are never rewritten."),
    )
    value = forms.CharField(label=_("Value"), max_length=500)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, parameter: Parameter, **kwargs):
        super().__init__(*args, **kwargs)
        hints = {
            ParameterType.INT: _("A whole number, for example 24."),
            ParameterType.MONEY: _("An amount in yuan with at most two decimal places, for example 1000.00."),
            ParameterType.RATE: _("A number from 0 to 1, for example 0.50."),
            ParameterType.DECIMAL: _("A number, for example 1.50."),
            ParameterType.DATE: _("A date as YYYY-MM-DD."),
            ParameterType.CODE_LIST: _("Codes separated by commas, for example part_time, platform."),
        }
        self.fields["value"].help_text = hints.get(parameter.type, "")


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ("key", "description", "value_today", "local_default")
    list_filter = ("type", "local_default")
    search_fields = ("key", "description_zh", "description_en")
    fields = (
        "key",
        "description_zh",
        "description_en",
        "type",
        "unit",
        "code_set",
        "local_default",
        "source",
        "value_today",
        "propose_link",
    )
    readonly_fields = fields
    inlines = [ParameterValueInline]

    def get_queryset(self, request):
        in_force = ParameterValue.objects.filter(parameter=OuterRef("pk"), valid_from__lte=history.today())
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_value=Subquery(in_force.order_by("-valid_from").values("value")[:1], output_field=JSONField())
            )
        )

    def has_add_permission(self, request):
        return False  # parameters come with the rules that read them (policy file)

    def has_change_permission(self, request, obj=None):
        return False  # a parameter changes by adding a value from a date

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("value in force today"))
    def value_today(self, parameter: Parameter) -> str:
        value = getattr(parameter, "current_value", None)
        return "—" if value is None else display_value(value)

    @admin.display(description=_("change"))
    def propose_link(self, parameter: Parameter) -> str:
        url = reverse("policy:propose", args=[parameter.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Propose a new value in the policy console"))

    @admin.display(description=_("change directly"))
    def add_value_link(self, parameter: Parameter) -> str:
        url = reverse("admin:eligibility_parameter_value_add", args=[parameter.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Add a value from a date"))

    def get_fields(self, request, obj=None):
        # The direct path, without a second person, is shown to superusers only.
        return (*self.fields, "add_value_link") if request.user.is_superuser else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_urls(self):
        urls = [
            path(
                "<int:parameter_id>/values/add/",
                self.admin_site.admin_view(self.value_add_view),
                name="eligibility_parameter_value_add",
            )
        ]
        return urls + super().get_urls()

    def value_add_view(self, request, parameter_id: int):
        parameter = get_object_or_404(Parameter, pk=parameter_id)
        if not request.user.has_perm("eligibility.add_parametervalue"):
            raise PermissionDenied
        if not request.user.is_superuser:
            # Issue 14: a policy administrator's change is a proposal that another one approves.
            self.message_user(
                request,
                _("A new value is proposed in the policy console; another policy administrator approves it."),
                messages.INFO,
            )
            return HttpResponseRedirect(reverse("policy:propose", args=[parameter.pk]))
        form = ValueAddForm(request.POST or None, parameter=parameter)
        # Issue 12: the form's button first previews what the value would change (eligibility.matching);
        # the preview's button sends the same values without "preview", which saves them below.
        from eligibility.matching.admin_preview import back_requested, preview_requested, value_preview_response

        if preview_requested(request) and form.is_valid():
            preview = value_preview_response(self, request, parameter, form)
            if preview is not None:
                return preview
        saving = request.method == "POST" and not preview_requested(request) and not back_requested(request)
        if saving and form.is_valid():
            try:
                services.parameter_value_add(
                    parameter=parameter,
                    valid_from=form.cleaned_data["valid_from"],
                    value=form.cleaned_data["value"],
                    acting_user=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(
                    request,
                    _("From %(date)s, %(key)s is %(value)s.")
                    % {
                        "key": parameter.key,
                        "value": form.cleaned_data["value"],
                        "date": date_format(form.cleaned_data["valid_from"], "DATE_FORMAT"),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:eligibility_parameter_change", args=[parameter.pk]))
        values = parameter.values.select_related("created_by").order_by("-valid_from")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Add a value of %(key)s from a date") % {"key": parameter.key},
            "parameter": parameter,
            "form": form,
            "history": [(row, _value_status(row)) for row in values],
        }
        return TemplateResponse(request, "admin/eligibility/parameter/add_value.html", context)


@admin.register(ParameterValue)
class ParameterValueAdmin(admin.ModelAdmin):
    """Lists every value; deletes only those not yet in force, through the service."""

    list_display = ("parameter", "valid_from", "display", "status", "created_by", "created_at")
    list_filter = ("parameter",)
    list_select_related = ("parameter", "created_by")
    fields = ("parameter", "valid_from", "display", "status", "note", "created_by", "created_at")
    readonly_fields = fields
    actions = None  # no bulk deletion: each one is checked and logged by the service

    @admin.display(description=_("value"))
    def display(self, row: ParameterValue) -> str:
        return row.display

    @admin.display(description=_("status"))
    def status(self, row: ParameterValue) -> str:
        return _value_status(row)

    def has_add_permission(self, request):
        return False  # values are added from their parameter's page

    def has_change_permission(self, request, obj=None):
        return False  # to replace a future value, delete it and add another

    def has_delete_permission(self, request, obj=None):
        # A scheduled value is withdrawn by a proposal for its date (approved by a second person);
        # deleting it directly is left to superusers.
        allowed = super().has_delete_permission(request, obj) and request.user.is_superuser
        return allowed and (obj is None or not history.is_in_force(obj.valid_from))

    def delete_model(self, request, obj):
        services.parameter_value_delete(parameter_value=obj, acting_user=request.user)


@admin.register(ParameterChange)
class ParameterChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "parameter", "action", "valid_from", "shown_value", "changed_by", "origin")
    list_filter = ("action", "origin", "parameter")
    list_select_related = ("parameter", "changed_by")
    date_hierarchy = "changed_at"
    readonly_fields = (
        "changed_at",
        "parameter",
        "action",
        "valid_from",
        "value",
        "previous_value",
        "note",
        "origin",
        "changed_by",
    )
    fields = readonly_fields

    @admin.display(description=_("value"))
    def shown_value(self, change: ParameterChange) -> str:
        return display_value(change.value)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ParameterProposal)
class ParameterProposalAdmin(admin.ModelAdmin):
    """Read-only: proposals are made and decided in the policy console."""

    list_display = ("proposed_at", "parameter", "valid_from", "display", "state", "proposed_by", "decided_by")
    list_filter = ("state", "origin", "parameter")
    list_select_related = ("parameter", "proposed_by", "decided_by")
    fields = (
        "parameter",
        "valid_from",
        "value",
        "reference_document",
        "reference_clause",
        "reason",
        "origin",
        "state",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "reference_changes_acknowledged",
        "applied_value",
    )
    readonly_fields = fields

    @admin.display(description=_("value"))
    def display(self, proposal: ParameterProposal) -> str:
        return proposal.display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _PolicyListAdmin(admin.ModelAdmin):
    """A list policy admins keep. An entry a case was given is never deleted (the case names it):
    it is taken out of use instead, and the ones unused can be deleted."""

    list_filter = ("active",)
    actions = ["take_out_of_use", "put_in_use"]

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.fulfilments.exists())

    def delete_queryset(self, request, queryset):
        used = queryset.filter(fulfilments__isnull=False).distinct()
        if used.exists():
            self.message_user(
                request,
                _("Not deleted: %(names)s were given to cases. Take them out of use instead.")
                % {"names": ", ".join(str(row) for row in used)},
                messages.ERROR,
            )
            return
        super().delete_queryset(request, queryset)

    @admin.action(description=_("Take out of use"), permissions=["change"])
    def take_out_of_use(self, request, queryset):
        changed = queryset.update(active=False)
        self.message_user(request, _("%(count)s taken out of use.") % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Put in use again"), permissions=["change"])
    def put_in_use(self, request, queryset):
        changed = queryset.update(active=True)
        self.message_user(request, _("%(count)s put in use again.") % {"count": changed}, messages.SUCCESS)


@admin.register(IncubatorSite)
class IncubatorSiteAdmin(_PolicyListAdmin):
    list_display = ("name_zh", "name_en", "address", "free_until", "active")
    search_fields = ("name_zh", "name_en", "address")
    fields = ("name_zh", "name_en", "address", "free_until", "active")


@admin.register(TrainingCourse)
class TrainingCourseAdmin(_PolicyListAdmin):
    list_display = ("name_zh", "name_en", "starts_on", "place", "active")
    search_fields = ("name_zh", "name_en", "place")
    fields = ("name_zh", "name_en", "starts_on", "place", "active")
