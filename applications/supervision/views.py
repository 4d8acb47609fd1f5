"""A supervisor's pages: the dashboard of their region, and the payments export for finance."""

import csv
import io
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from applications import selectors_supervision as selectors
from applications.models import Payment
from applications.services.payments import payments_export
from applications.supervision.forms import PaymentPeriodForm
from applications.supervision.snapshot import snapshot_for
from eligibility.models import Programme
from portal.db_router import reading_from_replica


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
@reading_from_replica()
def dashboard(request):
    # The figures as beat last counted them (applications.supervision.snapshot), or counted now.
    snapshot = snapshot_for(region=request.user.region, language=translation.get_language())
    return render(
        request,
        "supervision/dashboard.html",
        {
            "region": request.user.region,
            "snapshot": snapshot,
            "refresh_minutes": max(1, round(settings.LINGHUO_DASHBOARD_REFRESH_SECONDS / 60)),
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
@reading_from_replica()
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


def _titles() -> dict[int, str]:
    """Each programme's title in the reader's language, by id: one query, not one per row."""
    return {programme.pk: programme.title for programme in Programme.objects.only("pk", "title_zh", "title_en")}


def _states() -> dict[str, str]:
    return {state: str(label) for state, label in Payment.State.choices}


def _csv(payments) -> HttpResponse:
    """RFC 4180 (CRLF, quoted where needed); the account number is plain digits, for machines.
    The XLSX file is the one to open in a spreadsheet."""
    text = io.StringIO()
    text.write("\ufeff")  # the byte-order mark makes Excel read the file as UTF-8
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_header())
    titles = {pk: _cell(title) for pk, title in _titles().items()}
    states = _states()
    # The amount column has two decimal places: its text is already "10000.00".
    writer.writerows(
        (
            _cell(payment.reference),
            titles[payment.programme_id],
            _cell(payment.full_name),
            _cell(payment.bank_name),
            "".join(payment.bank_account.split()),
            payment.sequence,
            payment.due_on.isoformat(),
            str(payment.amount),
            states[payment.state],
        )
        for payment in payments
    )
    # One write of the whole file rather than one per row (tens of thousands in a month).
    return HttpResponse(text.getvalue().encode(), content_type="text/csv; charset=utf-8")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT = "@"  # the cell is text: a 19-digit account keeps all its digits


def _xlsx(payments) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Payments")[:31]
    sheet.append(_header())
    titles, states = _titles(), _states()
    for payment in payments:
        texts = [
            payment.reference,
            titles[payment.programme_id],
            payment.full_name,
            payment.bank_name,
            "".join(payment.bank_account.split()),
        ]
        row = sheet.max_row + 1
        for column, text in enumerate(texts, start=1):
            cell = sheet.cell(row=row, column=column, value=text)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.number_format = TEXT_FORMAT
        sheet.cell(row=row, column=6, value=payment.sequence)
        sheet.cell(row=row, column=7, value=payment.due_on).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=8, value=payment.amount).number_format = "0.00"
        sheet.cell(row=row, column=9, value=states[payment.state]).data_type = "s"
    for column, width in zip("ABCDEFGHI", (16, 36, 14, 24, 24, 10, 12, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    content = io.BytesIO()
    workbook.save(content)
    return HttpResponse(content.getvalue(), content_type=XLSX)


@never_cache
@require_GET
@supervisor_required
@reading_from_replica()
def payment_export_csv(request):
    return _export(request, "csv")


@never_cache
@require_GET
@supervisor_required
@reading_from_replica()
def payment_export_xlsx(request):
    return _export(request, "xlsx")
