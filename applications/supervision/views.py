"""A supervisor's pages: the dashboard of their region, and the payments export for finance."""

import csv
import io
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from applications import selectors_fulfilment
from applications import selectors_supervision as selectors
from applications.budgets import dashboard as budget_dashboard
from applications.services.payments import payments_export
from applications.supervision import charts
from applications.supervision.forms import PaymentPeriodForm


def supervisor_required(view):
    """Logged-in supervisors who serve a region; anyone else gets a 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_supervisor and request.user.region):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@supervisor_required
def dashboard(request):
    region = request.user.region
    today = timezone.localdate()
    programmes = selectors.figures_by_programme(region=region)
    loans = [row for row in programmes if row.loans_approved is not None]
    return render(
        request,
        "supervision/dashboard.html",
        {
            "region": region,
            "today": today,
            "charts": [
                charts.backlog_chart(selectors.backlog_by_age(region=region, today=today)),
                charts.decisions_chart(selectors.decisions_by_week(region=region, today=today)),
                charts.approval_rate_chart(programmes),
                charts.committed_chart(programmes),
            ],
            "loans": [(row, charts.money_text(row.loans_approved)) for row in loans],
            # applications.budgets: budgets of the year and the registry funnel (templates/budgets/partials/).
            **budget_dashboard.dashboard_sections(today=today, programmes=[row.programme for row in programmes]),
            "outcomes": selectors_fulfilment.outcomes_by_programme(
                region=region, programmes=[row.programme for row in programmes]
            ),
        },
    )


def _period_form(region: str, today) -> PaymentPeriodForm:
    """The form, set by default to the month of the next payment due."""
    period = selectors.next_due_period(region=region, today=today)
    initial = {"from": period[0], "to": period[1]} if period else {}
    return PaymentPeriodForm(initial=initial)


def _export_page(request, form, *, status: int = 200, empty: bool = False):
    today = timezone.localdate()
    return render(
        request,
        "supervision/payments.html",
        {
            "form": form,
            "region": request.user.region,
            "empty": empty,
            "next_period": selectors.next_due_period(region=request.user.region, today=today),
        },
        status=status,
    )


@require_GET
@supervisor_required
def payment_export_page(request):
    return _export_page(request, _period_form(request.user.region, timezone.localdate()))


# Excel runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _header() -> list[str]:
    return [
        _("Reference"),
        _("Programme"),
        _("Applicant"),
        _("Bank"),
        _("Bank account number"),
        _("Instalment"),
        _("Due date"),
        _("Amount (yuan)"),
        _("State"),
    ]


def _export(request, file_format: str):
    """Both formats: the period's form, the rows (audited), or the page saying the period is empty."""
    form = PaymentPeriodForm(request.GET)
    if not form.is_valid():
        return _export_page(request, form, status=400)
    date_from, date_to = form.cleaned_data["from"], form.cleaned_data["to"]
    payments = payments_export(
        supervisor=request.user, date_from=date_from, date_to=date_to, file_format=file_format, request=request
    )
    if not payments:
        # No empty file: the page says there is nothing to pay in that period.
        return _export_page(request, form, empty=True)
    filename = f"payments-{request.user.region}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{file_format}"
    response = (_csv if file_format == "csv" else _xlsx)(payments)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(payments) -> HttpResponse:
    """RFC 4180 (CRLF, quoted where needed); the account number is plain digits, for machines.
    The XLSX file is the one to open in a spreadsheet."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # the byte-order mark makes Excel read the file as UTF-8
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(_header())
    for payment in payments:
        application = payment.application
        writer.writerow(
            [
                _cell(application.reference),
                _cell(application.programme.title),
                _cell(application.full_name),
                _cell(application.bank_name),
                "".join(application.bank_account.split()),
                payment.sequence,
                payment.due_on.isoformat(),
                f"{payment.amount:.2f}",
                payment.get_state_display(),
            ]
        )
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT = "@"  # the cell is text: a 19-digit account keeps all its digits


def _xlsx(payments) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Payments")[:31]
    sheet.append(_header())
    for payment in payments:
        application = payment.application
        texts = [
            application.reference,
            application.programme.title,
            application.full_name,
            application.bank_name,
            "".join(application.bank_account.split()),
        ]
        row = sheet.max_row + 1
        for column, text in enumerate(texts, start=1):
            cell = sheet.cell(row=row, column=column, value=text)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.number_format = TEXT_FORMAT
        sheet.cell(row=row, column=6, value=payment.sequence)
        sheet.cell(row=row, column=7, value=payment.due_on).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=8, value=payment.amount).number_format = "0.00"
        sheet.cell(row=row, column=9, value=str(payment.get_state_display())).data_type = "s"
    for column, width in zip("ABCDEFGHI", (16, 36, 14, 24, 24, 10, 12, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    content = io.BytesIO()
    workbook.save(content)
    return HttpResponse(content.getvalue(), content_type=XLSX)


@never_cache
@require_GET
@supervisor_required
def payment_export_csv(request):
    return _export(request, "csv")


@never_cache
@require_GET
@supervisor_required
def payment_export_xlsx(request):
    return _export(request, "xlsx")
