"""A supervisor's pages: the dashboard of their region, and the payments export for finance."""

import csv
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from applications import selectors_supervision as selectors
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
        },
    )


@require_GET
@supervisor_required
def payment_export_page(request):
    return render(request, "supervision/payments.html", {"form": PaymentPeriodForm(), "region": request.user.region})


# Excel runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@never_cache
@require_GET
@supervisor_required
def payment_export_csv(request):
    form = PaymentPeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "supervision/payments.html", {"form": form, "region": request.user.region}, status=400)
    date_from, date_to = form.cleaned_data["from"], form.cleaned_data["to"]
    payments = payments_export(supervisor=request.user, date_from=date_from, date_to=date_to, request=request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"payments-{request.user.region}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the byte-order mark makes Excel read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
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
    )
    for payment in payments:
        application = payment.application
        writer.writerow(
            [
                _cell(application.reference),
                _cell(application.programme.title),
                _cell(application.full_name),
                _cell(application.bank_name),
                # Excel shows a 19-digit number as 6.22202E+18 and loses its last
                # digits; a leading tab keeps the account number as text.
                "\t" + _cell(application.bank_account),
                payment.sequence,
                payment.due_on.isoformat(),
                f"{payment.amount:.2f}",
                payment.get_state_display(),
            ]
        )
    return response
