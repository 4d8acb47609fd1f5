"""A supervisor exports the cases referred to the partners (bank, civil affairs, tax bureau) in a period."""

import csv
import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from applications.models import Fulfilment
from applications.services.fulfilment import referrals_export
from applications.staff.masking import mask_id_number
from applications.supervision.forms import PaymentPeriodForm
from applications.supervision.views import TEXT_FORMAT, XLSX, _cell, supervisor_required
from portal.db_router import reading_from_replica


class ReferralPeriodForm(PaymentPeriodForm):
    """The period (both dates included) and, if chosen, one partner."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"].error_messages["required"] = gettext_lazy("Enter the first day of the period.")
        self.fields["to"].error_messages["required"] = gettext_lazy("Enter the last day of the period.")
        self.fields["partner"] = forms.ChoiceField(
            label=gettext_lazy("Partner"),
            choices=[("", gettext_lazy("All partners")), *Fulfilment.Partner.choices],
            required=False,
        )


def _page(request, form, *, status: int = 200, empty: bool = False):
    return render(
        request,
        "supervision/referrals.html",
        {"form": form, "region": request.user.region, "empty": empty},
        status=status,
    )


@require_GET
@supervisor_required
@reading_from_replica()
def referral_export_page(request):
    today = timezone.localdate()
    return _page(request, ReferralPeriodForm(initial={"from": today.replace(day=1), "to": today}))


def _header() -> list[str]:
    return [
        _("Partner"),
        _("Partner's name"),
        _("Referred on"),
        _("Reference"),
        _("Programme"),
        _("Applicant"),
        _("Resident identity number"),
        _("Status"),
        _("Outcome"),
    ]


def _texts(row: Fulfilment) -> list[str]:
    application = row.application
    return [
        str(row.get_partner_display()),
        row.partner_name,
        row.referred_on.isoformat(),
        application.reference,
        application.programme.title,
        application.full_name,
        mask_id_number(application.id_number),
        str(application.get_status_display()),
        row.outcome_text,
    ]


def _export(request, file_format: str):
    form = ReferralPeriodForm(request.GET)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    rows = referrals_export(
        supervisor=request.user,
        date_from=data["from"],
        date_to=data["to"],
        partner=data["partner"],
        file_format=file_format,
        request=request,
    )
    if not rows:
        return _page(request, form, empty=True)
    name = f"referrals-{request.user.region}-{data['partner'] or 'all'}-{data['from']:%Y%m%d}-{data['to']:%Y%m%d}"
    response = (_csv if file_format == "csv" else _xlsx)(rows)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def _csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # Excel reads the file as UTF-8
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(_header())
    for row in rows:
        writer.writerow([_cell(text) for text in _texts(row)])
    return response


def _xlsx(rows) -> HttpResponse:
    """One sheet per partner; every cell is text (never a formula, identifiers keep their form)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {}
    for row in rows:
        sheet = sheets.get(row.partner)
        if sheet is None:
            sheet = sheets[row.partner] = workbook.create_sheet(str(row.get_partner_display())[:31])
            sheet.append(_header())
            for column, width in zip("ABCDEFGHI", (14, 30, 12, 16, 36, 14, 22, 16, 60), strict=True):
                sheet.column_dimensions[column].width = width
        number = sheet.max_row + 1
        for column, text in enumerate(_texts(row), start=1):
            cell = sheet.cell(row=number, column=column, value=text)
            cell.data_type = "s"
            cell.number_format = TEXT_FORMAT
    content = io.BytesIO()
    workbook.save(content)
    return HttpResponse(content.getvalue(), content_type=XLSX)


@never_cache
@require_GET
@supervisor_required
@reading_from_replica()
def referral_export_csv(request):
    return _export(request, "csv")


@never_cache
@require_GET
@supervisor_required
@reading_from_replica()
def referral_export_xlsx(request):
    return _export(request, "xlsx")
