"""Forms of the staff pages. They parse input only; the rules are in ``applications.services.review``."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from applications.models import Document, ReasonCode
from applications.services.review import REVEALABLE_FIELDS


class CaseForm(forms.Form):
    """The case page holds several forms: each one's element ids start with its own prefix."""

    id_prefix = "case"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ReasonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ReasonCode) -> str:
        return obj.text(get_language() or "")

    def clean(self, value):
        # No reason has an id beyond 64 bits, and SQLite cannot even compare one (an OverflowError, a 500).
        for one in value or ():
            digits = str(one).strip()
            if digits.isdecimal() and (len(digits) > 19 or int(digits) >= 2**63):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": str(one)[:12] + "…"}
                )
        return super().clean(value)


class NoteForm(CaseForm):
    id_prefix = "note"

    text = forms.CharField(
        label=_("Internal note"),
        help_text=_("Only staff see it. The applicant does not."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApproveForm(CaseForm):
    """No amount field: the amount is the one of the evaluation kept at submission."""

    id_prefix = "approve"

    note = forms.CharField(
        label=_("Note for the file (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(CaseForm):
    id_prefix = "reject"

    reasons = ReasonChoiceField(
        label=_("Reasons"),
        help_text=_("The applicant reads these, in their own language."),
        queryset=ReasonCode.objects.filter(active=True).order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one reason.")},
    )
    free_text = forms.CharField(
        label=_("More about the decision (optional)"),
        help_text=_("Added below the reasons, as you write it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequestInfoForm(CaseForm):
    id_prefix = "request"

    document_kinds = forms.MultipleChoiceField(
        label=_("Documents to upload"),
        choices=Document.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Questions for the applicant"),
        help_text=_("One question a line: the applicant answers each one on its own."),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("document_kinds") and not (cleaned.get("message") or "").strip():
            raise forms.ValidationError(_("Choose the documents you need or write your questions."))
        return cleaned


class ReturnForm(CaseForm):
    id_prefix = "return"

    note = forms.CharField(
        label=_("Why the case goes back to review"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResumeReviewForm(CaseForm):
    id_prefix = "resume"

    note = forms.CharField(label=_("Note for the file (optional)"), required=False, max_length=2000)


class ReleaseForm(CaseForm):
    id_prefix = "release"

    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class RevealForm(CaseForm):
    """Showing a number in full needs a reason; the reason goes into the audit entry."""

    field = forms.ChoiceField(choices=[(name, name) for name in REVEALABLE_FIELDS], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why you need the full number"),
        max_length=300,
        error_messages={"required": _("Say why you need the full number.")},
    )

    def __init__(self, *args, field: str, **kwargs):
        # Two of these forms are on the case page: the element ids say which number each reveals.
        self.id_prefix = f"reveal_{field}"
        super().__init__(*args, initial={"field": field}, **kwargs)
