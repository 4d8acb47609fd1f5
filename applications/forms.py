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
        error_messages={"required": _("Enter your full name as on your identity card.")},
        help_text=_("As on your resident identity card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=22,
        error_messages={"required": _("Enter your resident identity number.")},
        help_text=_("18 characters: 17 digits and a last digit or X."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        error_messages={"required": _("Enter your date of birth."), "invalid": _("Enter a date such as 1998-05-02.")},
        help_text=_("For example 1998-05-02."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        error_messages={"required": _("Enter your mobile number.")},
        help_text=_("We send you text messages about your application to this number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        error_messages={"required": _("Enter the address where you live now.")},
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
        error_messages={"required": _("Enter the bank and branch.")},
        help_text=_("The bank and branch, for example 中国工商银行衢州分行."),
    )
    bank_account = forms.CharField(
        label=_("Account or card number"),
        max_length=40,
        error_messages={"required": _("Enter the account or card number.")},
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


ACCEPT_UPLOADS = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _check_upload(form: forms.Form, field: str) -> None:
    """The real type and size of a chosen file, shown at its own field."""
    from applications.services.documents import validate_upload

    uploaded = form.cleaned_data.get(field)
    for one in uploaded if isinstance(uploaded, list) else [uploaded] if uploaded else []:
        try:
            validate_upload(one)
        except forms.ValidationError as exc:
            form.add_error(field, exc)
            return


class InfoResponseForm(forms.Form):
    """The answer to a request for information: one file for each document asked for and one
    answer for each question, all required. A request recorded before requests named their
    documents one by one is answered in one text."""

    comment = forms.CharField(
        label=_("Your answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Answer the questions above. Add the documents asked for below before you send."),
    )

    def __init__(self, *args, information_request=None, **kwargs):
        from applications.services.follow_up import answer_field, document_field

        super().__init__(*args, **kwargs)
        self.information_request = information_request
        self.document_fields: list[str] = []
        self.answer_fields: list[str] = []
        if information_request is None:
            return
        comment = self.fields.pop("comment")
        for kind in information_request.document_kinds:
            label = Document.Kind(kind).label
            name = document_field(kind)
            self.fields[name] = forms.FileField(
                label=label,
                help_text=_("PDF, JPEG or PNG, up to 10 MB. A clear photo taken with a phone is fine."),
                error_messages={"required": _("Upload the %(document)s.") % {"document": label}},
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_UPLOADS}),
            )
            self.document_fields.append(name)
        for index, question in enumerate(information_request.questions):
            name = answer_field(index)
            self.fields[name] = forms.CharField(
                label=question,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": _("Answer this question.")},
            )
            self.answer_fields.append(name)
        comment.required = False
        comment.label = _("Anything else you want to tell us (optional)")
        comment.help_text = ""
        self.fields["comment"] = comment

    def clean(self):
        cleaned = super().clean()
        for name in self.document_fields:
            _check_upload(self, name)
        return cleaned

    @property
    def files_by_kind(self) -> dict:
        kinds = self.information_request.document_kinds if self.information_request else []
        return {kind: self.cleaned_data.get(field) for kind, field in zip(kinds, self.document_fields, strict=True)}

    @property
    def answers(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.answer_fields]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; cleans to a list (empty when none is chosen and none is required)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_UPLOADS}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(one, initial) for one in data if one]
        cleaned = super().clean(data, initial)
        return [cleaned] if cleaned else []


class ReconsiderationForm(forms.Form):
    MAX_FILES = 5

    grounds = forms.CharField(
        label=_("Why should the decision be looked at again?"),
        help_text=_("Say what you think is wrong in the decision, and what the new documents show."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say why the decision should be looked at again.")},
    )
    files = MultipleFileField(
        label=_("New documents (optional)"),
        help_text=_("Up to 5 files: PDF, JPEG or PNG, each up to 10 MB."),
        required=False,
    )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > self.MAX_FILES:
            raise forms.ValidationError(
                _("Choose at most %(count)s files.") % {"count": self.MAX_FILES}, code="too_many"
            )
        return files

    def clean(self):
        cleaned = super().clean()
        _check_upload(self, "files")
        return cleaned
