"""The policy administrator's budgets page: each cash programme's budget per year, its history,
and the form that adds a value from a date.

Only staff with the policy administrator's permission (``eligibility.add_parametervalue``)
see it; the second factor is enforced for every staff page by
``portal.accounts.middleware.TwoFactorRequiredMiddleware`` and checked again here.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications.budgets import selectors, services
from applications.budgets.forms import BudgetAddForm
from applications.supervision.charts import money_text
from portal.accounts.two_factor import session_is_verified


def policy_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.may_edit_budgets(request.user) or not session_is_verified(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "POST"])
@policy_admin_required
def budgets(request):
    programmes = selectors.cash_programmes()
    form = BudgetAddForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            budget = services.budget_add(
                programme=data["programme"],
                year=data["year"],
                amount=data["amount"],
                valid_from=data["valid_from"],
                reason=data["reason"],
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("From %(date)s, the budget of %(programme)s for %(year)s is %(amount)s.")
                % {
                    "date": date_format(budget.valid_from, "DATE_FORMAT"),
                    "programme": budget.programme.title,
                    "year": budget.year,
                    "amount": money_text(budget.amount),
                },
            )
            return redirect("budgets:budgets")
    today = timezone.localdate()
    history = selectors.budget_history(programmes=programmes)
    in_force = selectors.budgets_in_force(programmes=programmes, on=today)
    rows = []
    for programme in programmes:
        entries = history[programme.pk]
        years = sorted({entry.year for entry in entries}, reverse=True)
        rows.append(
            {
                "programme": programme,
                "years": [(year, in_force.get((programme.pk, year))) for year in years],
                "history": [(entry, _entry_status(entry, in_force, today)) for entry in entries],
            }
        )
    return render(
        request,
        "budgets/budgets.html",
        {
            "form": form,
            "rows": rows,
            "today": today,
            "not_budgeted": selectors.not_budgeted_programmes(),
            "positions": selectors.budget_positions(year=today.year, on=today, programmes=programmes),
            "forecast_months": selectors.FORECAST_MONTHS,
        },
        status=400 if form.errors else 200,
    )


def _entry_status(entry, in_force, today) -> str:
    if entry.valid_from > today:
        return _("takes effect on %(date)s") % {"date": date_format(entry.valid_from, "DATE_FORMAT")}
    current = in_force.get((entry.programme_id, entry.year))
    return _("in force") if current is not None and current.pk == entry.pk else _("superseded")
