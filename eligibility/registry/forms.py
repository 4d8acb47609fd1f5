"""The upload form of a department's registry file, and the look-up of one person."""

from django import forms
from django.utils.translation import gettext_lazy as _

from eligibility.registry.models import SourceDepartment
from eligibility.registry.reading import MAX_FILE_BYTES


class RegistryUploadForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Department the file comes from"),
        choices=[("", _("Choose a department")), *SourceDepartment.choices],
        error_messages={"required": _("Choose the department the file comes from.")},
    )
    file = forms.FileField(
        label=_("File (CSV in UTF-8, or .xlsx)"),
        help_text=_(
            "The first row names the columns: id_number, the catalogue's facts, and optionally full_name, "
            "mobile, email, language, source, recorded_on and action (delete)."
        ),
        error_messages={"required": _("Choose the file to upload."), "empty": _("The file is empty.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: split it into smaller files."),
                params={"size": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload


class RegistryLookupForm(forms.Form):
    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=30,
        error_messages={"required": _("Enter the identity number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
