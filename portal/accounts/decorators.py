"""Who may use a view: an account whose mobile number or e-mail address is confirmed."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from portal.accounts import pending

CONFIRM_FIRST = gettext_lazy(
    "Before you apply, confirm your mobile number or e-mail address: we use it to tell you about your case."
)


def confirmed_account_required(view):
    """Sends a logged-in account that has not confirmed its identifier to the
    confirmation page, and back here afterwards. Put it under ``login_required``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_confirmed:
            pending.remember_target(request, request.get_full_path())
            messages.info(
                request,
                CONFIRM_FIRST,
            )
            return redirect("accounts:confirm")
        return view(request, *args, **kwargs)

    return wrapped
