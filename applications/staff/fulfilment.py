"""The caseworker records the outcome of an approved case of a programme without cash."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from applications.models import Status
from applications.services import fulfilment as service
from applications.services.transitions import IllegalTransition
from applications.staff.fulfilment_forms import outcome_form_for
from applications.staff.views import _moved_on, _render_case, staff_case

SUCCESS = {
    Status.REFERRED: gettext_lazy("The referral is recorded. The applicant has been told."),
    Status.SERVED: gettext_lazy("The outcome is recorded. The applicant has been told."),
    Status.PARTNER_DECLINED: gettext_lazy("The partner's refusal is recorded. The applicant has been told."),
}


@require_POST
@staff_case
def case_outcome(request, application):
    form = outcome_form_for(application, request.POST)
    if form is None:
        return _moved_on(
            request, application, service.FulfilmentUnavailable(_("This case has no outcome to record now."))
        )
    if form.is_valid():
        try:
            service.application_fulfil(
                application=application, acting_user=request.user, details=form.cleaned_data, request=request
            )
        except (service.FulfilmentUnavailable, IllegalTransition) as exc:
            return _moved_on(request, application, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, str(SUCCESS[application.status]))
            return redirect("staff:case", reference=application.reference)
    return _render_case(request, application, status=400, outcome_form=form)
