"""The pages an invitation link leads to: the invitation, the one-tap opt-out, and "Apply"."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from applications.models import Status
from applications.outreach import selectors, services
from applications.outreach.forms import IdentityNumberForm, OptOutForm
from applications.services import intake
from portal.accounts.decorators import confirmed_account_required


def _private(response):
    # The address is the key to the page: no cache keeps it, no other site learns it.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def invitation_detail(request, token):
    invitation = selectors.invitation_for_token(token)
    page = selectors.invitation_page(invitation)
    services.invitation_opened(invitation=invitation, shown=page.shown, request=request)
    rows = []
    for item in page.programmes:
        apply_url = reverse("outreach:apply", kwargs={"token": item.invitation.token})
        rows.append(
            {
                "item": item,
                "apply_url": apply_url,
                "login_url": f"{reverse('accounts:login')}?{urlencode({'next': apply_url})}",
                "register_url": f"{reverse('accounts:register')}?{urlencode({'next': apply_url})}",
            }
        )
    return _private(
        render(
            request,
            "outreach/invitation.html",
            {"page": page, "rows": rows, "person": invitation.person, "invitation": invitation},
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_opt_out(request, token):
    """GET shows one button; only the POST opts out (a link checker opening the link changes nothing)."""
    invitation = selectors.invitation_for_token(token)
    form = OptOutForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.registry_person_opt_out(invitation=invitation, request=request)
        return _private(render(request, "outreach/opted_out.html", {"invitation": invitation}))
    already = invitation.person.opted_out_at is not None
    return _private(render(request, "outreach/opt_out.html", {"invitation": invitation, "already": already}))


@login_required
@confirmed_account_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_apply(request, token):
    invitation = selectors.invitation_for_token(token)
    application = invitation.application
    if application is not None and application.applicant_id == request.user.pk:
        if application.status == Status.DRAFT:
            return redirect("applications:draft", pk=application.pk)
        return redirect("applications:case", reference=application.reference)
    lock = selectors.identity_attempts_lock(invitation=invitation, account=request.user)
    form = IdentityNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.invitation_application_start(
                invitation=invitation, applicant=request.user, id_number=form.cleaned_data["id_number"], request=request
            )
        except services.IdentityAttemptsRefused as exc:
            lock = exc.lock
            form.add_error(None, exc)
        except services.InvitationIdentityMismatch as exc:
            form.add_error("id_number", exc)
        except intake.AlreadyApplied as exc:
            messages.info(request, _("You have already applied for this programme. Here is your application."))
            return redirect("applications:case", reference=exc.application.reference)
        except ValidationError as exc:  # the registry says the person lives outside the region served
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "We filled in what the departments already know. Check each answer, correct what has "
                    "changed, and continue."
                ),
            )
            return redirect("applications:draft", pk=application.pk)
    elif request.method == "POST" and lock is not None:
        form = IdentityNumberForm()  # no number is checked while tries are refused: nothing to correct
    refusal = None
    if lock is not None and not form.non_field_errors():
        # Opened (or sent) while tries are refused: said at once, before anything is typed.
        refusal = services.IdentityAttemptsRefused(lock).messages[0]
    return _private(
        render(
            request,
            "outreach/apply.html",
            {
                "invitation": invitation,
                "programme": invitation.programme,
                "form": form,
                "lock": lock,
                "refusal": refusal,
            },
        )
    )
