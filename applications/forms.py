from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.id_numbers import birth_date_of, validate_id_number
from applications.models import Document
from portal.accounts.identifiers import normalise_mobile, validate_mobile


class PersonalForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=100,
        help_text=_("As on your resident identity card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=22,
        help_text=_("18 characters: 17 digits and a last digit or X."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("For example 1998-05-02."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("We send you text messages about your application to this number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        help_text=_("Where you live now: district, street, building and room."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def clean_birth_date(self) -> date:
        birth_date = self.cleaned_data["birth_date"]
        if birth_date > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."), code="future")
        return birth_date

    def clean_mobile(self) -> str:
        mobile = normalise_mobile(self.cleaned_data["mobile"])
        validate_mobile(mobile)
        return mobile

    def clean(self):
        cleaned = super().clean()
        id_number, birth_date = cleaned.get("id_number"), cleaned.get("birth_date")
        if id_number and birth_date and birth_date_of(id_number) != birth_date:
            self.add_error(
                "birth_date",
                forms.ValidationError(
                    _("The date of birth does not match the one in your identity number (%(date)s)."),
                    params={"date": birth_date_of(id_number).isoformat()},
                    code="birth_date_mismatch",
                ),
            )
        return cleaned


class PaymentForm(forms.Form):
    bank_name = forms.CharField(
        label=_("Bank"),
        max_length=100,
        help_text=_("The bank and branch, for example 中国工商银行衢州分行."),
    )
    bank_account = forms.CharField(
        label=_("Account or card number"),
        max_length=40,
        help_text=_("An account in your own name. Digits only; spaces are fine."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_bank_account(self) -> str:
        digits = "".join(self.cleaned_data["bank_account"].split())
        if not digits.isdigit() or not 12 <= len(digits) <= 25:
            raise forms.ValidationError(
                _("Enter the account or card number: 12 to 25 digits."), code="invalid_bank_account"
            )
        return digits


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Which document is this?"), choices=Document.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, up to 10 MB. A clear photo taken with a phone is fine."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, kinds: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds:
            self.fields["kind"].choices = [(k, Document.Kind(k).label) for k in kinds]


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I declare that what I have told you is true and complete, and I understand that a subsidy paid "
            "on false information must be repaid."
        ),
        error_messages={"required": _("Confirm that what you have told us is true and complete.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InfoResponseForm(forms.Form):
    comment = forms.CharField(
        label=_("Your answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Answer the questions above. Add the documents asked for below before you send."),
    )
