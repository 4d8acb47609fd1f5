from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.accounts import services
from portal.accounts.forms import LoginForm, PasswordResetRequestForm, RegistrationForm
from portal.language import remember_language
from portal.redirects import safe_target


@require_http_methods(["GET", "POST"])
def register(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.citizen_register(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password1"],
                language=request.LANGUAGE_CODE,
            )
        except services.AccountExists:
            form.add_error(
                "identifier",
                _("An account already uses this mobile number or e-mail address. Log in, or reset your password."),
            )
        else:
            login(request, user, backend="portal.accounts.backends.IdentifierBackend")
            messages.success(request, _("Your account is ready. You are logged in."))
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


def _safe_next(request) -> str:
    """Where to go after registering: the page that sent the person here, if it is ours."""
    return safe_target(request, request.POST.get("next") or request.GET.get("next"))


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in dict(settings.LANGUAGES):
            services.user_set_language(user=user, language=chosen)
        else:
            remember_language(response, user.preferred_language)
        return response


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(
            raw_identifier=form.cleaned_data["identifier"], base_url=request.build_absolute_uri("/")
        )
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_done(request):
    return render(request, "accounts/password_reset_done.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
