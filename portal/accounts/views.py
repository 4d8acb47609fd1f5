from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from portal.accounts import pending, services, two_factor
from portal.accounts.forms import (
    ConfirmationCodeForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    RegistrationForm,
    SecondFactorForm,
)
from portal.accounts.identifiers import masked_identifier
from portal.accounts.lockout import account_unlock
from portal.accounts.middleware import session_started
from portal.language import remember_language
from portal.redirects import safe_target

# When the SMS gateway or the mail server did not take the code or link (services.MessageNotSent),
# by the kind of identifier it was for; said alike whether the identifier had an account or not.
REGISTRATION_NOT_SENT = {
    "mobile": gettext_lazy(
        "We could not send the SMS with your code just now. In a few minutes, press “Send a new code”: "
        "you do not need to register again. Or register with an e-mail address instead."
    ),
    "email": gettext_lazy(
        "We could not send the e-mail with your link just now. In a few minutes, press “Send the link again”: "
        "you do not need to register again."
    ),
}
RESEND_NOT_SENT = {
    "mobile": gettext_lazy(
        "We could not send a new code just now. Try again in a few minutes. "
        "A code that reached you earlier still works while it is valid."
    ),
    "email": gettext_lazy(
        "We could not send the link again just now. Try again in a few minutes. "
        "A link that reached you earlier works for 3 days after it was sent."
    ),
}
# What a person typed on the password reset page, for the page after it to offer again.
RESET_REQUEST_TYPED = "accounts.password_reset_typed"


@require_http_methods(["GET", "POST"])
def register(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    not_sent = None
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        try:
            services.citizen_register(
                identifier=identifier, password=form.cleaned_data["password1"], language=request.LANGUAGE_CODE
            )
        except services.TooManyCodes as error:
            form.add_error("identifier", error)
        except services.MessageNotSent as error:
            # What was typed stays in the form; the account made (or not) waits on the confirmation page,
            # which the "Send a new code" button here posts to.
            pending.remember(request, identifier, next_url)
            form.add_error("identifier", REGISTRATION_NOT_SENT[error.channel])
            not_sent = identifier
        else:
            # The same next page whether or not the identifier had an account: nobody learns who is registered.
            pending.remember(request, identifier, next_url)
            return redirect("accounts:confirm")
    return render(request, "accounts/register.html", {"form": form, "next": next_url, "not_sent": not_sent})


@require_http_methods(["GET", "POST"])
def confirm(request):
    """'We sent you a code / a link': the page after registering, and where an
    unconfirmed account is sent when it starts an application."""
    identifier, next_url = pending.pending_identifier(request)
    if identifier is None:
        if request.user.is_authenticated:
            return redirect(next_url or "home")
        return redirect("accounts:login")
    form = ConfirmationCodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            services.confirmation_resend(identifier=identifier)
        except services.TooManyCodes as error:
            messages.error(request, error.messages[0])
        except services.MessageNotSent as error:
            messages.error(request, RESEND_NOT_SENT[error.channel])
        else:
            if identifier.kind == "mobile":
                messages.success(request, _("We have sent a new code. Earlier codes no longer work."))
            else:
                messages.success(request, _("We have sent the link again."))
        return redirect("accounts:confirm")
    if request.method == "POST" and identifier.kind == "mobile" and form.is_valid():
        try:
            user = services.confirmation_code_check(mobile=identifier.value, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            pending.forget(request)
            if not request.user.is_authenticated:
                login(request, user, backend="portal.accounts.backends.IdentifierBackend")
            messages.success(request, _("Your mobile number is confirmed. Your account is ready."))
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/confirm.html",
        {"form": form, "identifier": identifier, "shown_identifier": masked_identifier(identifier), "next": next_url},
    )


def confirm_email(request, token: str):
    try:
        user = services.email_confirm(token=token)
    except ValidationError as error:
        return render(request, "accounts/confirm_email_failed.html", {"message": error.messages[0]}, status=400)
    _identifier, next_url = pending.pending_identifier(request)
    pending.forget(request)
    messages.success(request, _("Your e-mail address is confirmed. Your account is ready."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return redirect(reverse("accounts:login") + (f"?next={quote(next_url)}" if next_url else ""))


def _safe_next(request) -> str:
    """Where to go after registering: the page that sent the person here, if it is ours."""
    return safe_target(request, request.POST.get("next") or request.GET.get("next"))


def home_for(user) -> str:
    """Where a person lands after logging in when no page asked for them: their role's own start page."""
    if user.is_supervisor:
        return reverse("supervision:dashboard")
    if user.is_caseworker:
        return reverse("staff:queue")
    if user.is_policy_admin and user.is_staff:
        return reverse("policy:home")  # the policy console (issue 14)
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        # A safe ``next`` still wins: Django's get_success_url asks get_redirect_url first.
        return home_for(self.request.user)

    def get_success_url(self):
        target = super().get_success_url()
        user = self.request.user
        if two_factor.two_factor_required(user) and not two_factor.session_is_verified(self.request):
            # The password was right; staff now type their code (or set up their app first).
            step = "accounts:two_factor" if two_factor.is_enrolled(user) else "accounts:two_factor_enrol"
            return f"{reverse(step)}?{urlencode({'next': target})}"
        return target

    def form_valid(self, form):
        response = super().form_valid(form)
        session_started(self.request.session)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in dict(settings.LANGUAGES):
            services.user_set_language(user=user, language=chosen)
        else:
            remember_language(response, user.preferred_language)
        return response


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


def _two_factor_next(request) -> str:
    return safe_target(request, request.POST.get("next") or request.GET.get("next")) or home_for(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password: the 6-digit code from the app, or a recovery code."""
    user = request.user
    next_url = _two_factor_next(request)
    if not two_factor.two_factor_required(user) or two_factor.session_is_verified(request):
        return redirect(next_url)
    if not two_factor.is_enrolled(user):
        return redirect(f"{reverse('accounts:two_factor_enrol')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.second_factor_check(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            if device.persistent_id.startswith("otp_static"):
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code. %(count)d is left: set up your app again if you lost it.",
                        "You used a recovery code. %(count)d are left: set up your app again if you lost it.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_url)
    return render(request, "accounts/two_factor.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Setting up the authenticator app: scan the QR code, type a code; then the recovery codes, once."""
    user = request.user
    next_url = _two_factor_next(request)
    if not two_factor.two_factor_required(user):
        return redirect(next_url)
    if two_factor.is_enrolled(user):
        # An account that has an app changes it only after proving it holds the current one.
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST if request.method == "POST" else None, enrolment=True)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.authenticator_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, two_factor.authenticator_for(user))
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})
    device = two_factor.enrolment_device(user=user)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": two_factor.qr_code_data_uri(device),
            "secret": two_factor.secret_for_typing(device),
        },
    )


@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether the account exists, and whether its link went out (logged if not).
        services.password_reset_request(raw_identifier=form.cleaned_data["identifier"])
        request.session[RESET_REQUEST_TYPED] = form.cleaned_data["identifier"]
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_done(request):
    """'Check your messages', with the form again holding what was typed, to ask again."""
    form = PasswordResetRequestForm(initial={"identifier": request.session.get(RESET_REQUEST_TYPED, "")})
    return render(request, "accounts/password_reset_done.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # "Try again later or reset your password": a new password ends the account's lockout.
        account_unlock(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
