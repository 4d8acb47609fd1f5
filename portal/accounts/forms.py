import unicodedata

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.accounts.identifiers import parse_identifier

IDENTIFIER_HELP = _("The mobile number (11 digits) or e-mail address you use for this service.")


IDENTIFIER_REQUIRED = _("Enter your mobile number or e-mail address.")
PASSWORD_REQUIRED = _("Enter your password.")


class RegistrationForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile number or e-mail address"),
        max_length=254,
        help_text=IDENTIFIER_HELP,
        error_messages={"required": IDENTIFIER_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, and not a common password."),
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the same password again.")},
    )
    privacy = forms.BooleanField(
        label=_("I have read how Linghuo uses my personal data"),
        error_messages={"required": _("Confirm that you have read how your personal data is used.")},
    )

    def clean_identifier(self):
        return parse_identifier(self.cleaned_data["identifier"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            identifier = cleaned.get("identifier")
            try:
                password_validation.validate_password(password1)
            except ValidationError as error:
                self.add_error("password1", error)
            if identifier and identifier.value.split("@")[0] in password1:
                self.add_error("password1", _("The password must not contain your mobile number or e-mail name."))
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number or e-mail address"),
        max_length=254,
        error_messages={"required": IDENTIFIER_REQUIRED},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["password"].error_messages["required"] = PASSWORD_REQUIRED

    error_messages = {
        "invalid_login": _("The mobile number or e-mail address and the password do not match an account."),
        "inactive": _("This account is closed. Contact the service desk."),
    }


class PasswordResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile number or e-mail address"),
        max_length=254,
        help_text=_("We send a link to reset your password to this address or number."),
        error_messages={"required": IDENTIFIER_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )

    def clean_identifier(self):
        raw = self.cleaned_data["identifier"]
        parse_identifier(raw)  # clear message for a malformed entry
        return raw


class ConfirmationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Confirmation code"),
        help_text=_("The 6 digits in the SMS we sent."),
        error_messages={"required": _("Enter the 6-digit code from the SMS.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6", "size": "8"}
        ),
    )

    def clean_code(self):
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).replace(" ", "")
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValidationError(_("The code has 6 digits, for example 042917."), code="format")
        return code


class NewPasswordForm(SetPasswordForm):
    """Choosing a new password from a reset link, with messages that say which box is empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = _("Choose a new password.")
        self.fields["new_password2"].error_messages["required"] = _("Type the new password again.")


class SecondFactorForm(forms.Form):
    """The code from the authenticator app (6 digits); at log-in also a recovery code."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        help_text=_("The 6 digits your app shows now. Lost your phone? Type one of your recovery codes."),
        error_messages={"required": _("Type the 6-digit code your app shows.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "size": "12",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, enrolment: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if enrolment:
            self.fields["code"].help_text = _("The 6 digits your app shows for Linghuo after you scanned the code.")
            self.fields["code"].widget.attrs.update({"inputmode": "numeric", "maxlength": "6"})
