"""The forms a caseworker records a case's outcome with, one per step of ``services.fulfilment``.

They parse input only; what must hold (dates, amounts, the lists) is checked by
``application_fulfil``, whose errors are shown at these forms' fields.
"""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Fulfilment
from applications.services import fulfilment as service
from applications.staff.forms import CaseForm
from eligibility.models import IncubatorSite, TrainingCourse

DATE_ERRORS = {"invalid": _("Enter a real date, for example 2026-12-10.")}


def _date(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERRORS,
        **kwargs,
    )


def _text(label, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=service.TEXT_LIMIT, **kwargs)


def _whole(label, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, error_messages={"invalid": _("Enter a whole number.")}, **kwargs
    )


class OutcomeForm(CaseForm):
    id_prefix = "outcome"
    submit_label = _("Record the outcome")

    def __init__(self, *args, application: Application, **kwargs):
        self.application = application
        super().__init__(*args, **kwargs)


class LoanReferralForm(OutcomeForm):
    heading = _("Refer to the guarantee centre and the bank")
    submit_label = _("Record the referral")

    guarantee_centre = _text(_("Guarantee centre"), help_text=_("For example 衢州市创业担保中心."))
    bank = _text(_("Partner bank"), help_text=_("The bank and branch, for example 衢州银行柯城支行."))
    referred_on = _date(_("Referred on"))


class LoanOutcomeForm(OutcomeForm):
    heading = _("The bank's decision on the loan")

    outcome = forms.ChoiceField(
        label=_("The bank"),
        choices=[("granted", _("granted the loan")), ("declined", _("declined the loan"))],
        widget=forms.RadioSelect,
        required=False,
    )
    amount = forms.DecimalField(
        label=_("Amount lent (yuan)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": _("Enter an amount in yuan greater than 0, with at most two decimal places.")},
    )
    bank = _text(_("Bank that lent it"))
    granted_on = _date(_("Granted on"))
    term_months = _whole(_("Term (months)"))
    declined_on = _date(_("Declined on"))
    reason = forms.CharField(
        label=_("The bank's reason (optional)"), required=False, max_length=1000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, application=application, **kwargs)
        existing = Fulfilment.objects.filter(application=application).first()
        referral = (existing.details.get("referral") or {}) if existing else {}
        self.fields["bank"].initial = referral.get("bank", "")
        self.fields["amount"].initial = application.amount


class EnrolmentForm(OutcomeForm):
    heading = _("Enrolment")

    enrolled_on = _date(_("Enrolment took effect on"))
    insurance = forms.ChoiceField(
        label=_("Enrolled in"),
        choices=list(service.INSURANCES.items()),
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, application=application, **kwargs)
        if not service.asks_insurance(application.programme):
            del self.fields["insurance"]


class SuspensionForm(OutcomeForm):
    heading = _("Months suspended, as the social-insurance agency confirmed them")

    from_month = _text(_("First month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-12"}))
    to_month = _text(_("Last month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-05"}))


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: IncubatorSite) -> str:
        return _("%(name)s, %(address)s (free until %(date)s)") % {
            "name": obj.name,
            "address": obj.address,
            "date": date_format(obj.free_until, "DATE_FORMAT"),
        }


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TrainingCourse) -> str:
        return _("%(name)s, from %(date)s, at %(place)s") % {
            "name": obj.name,
            "date": date_format(obj.starts_on, "DATE_FORMAT"),
            "place": obj.place,
        }


LIST_ERRORS = {"invalid_choice": _("Choose one from the list."), "invalid_pk_value": _("Choose one from the list.")}


class SiteForm(OutcomeForm):
    heading = _("Allocate a site")

    site = SiteChoiceField(
        label=_("Incubator site"),
        queryset=IncubatorSite.objects.filter(active=True),
        required=False,
        empty_label=_("Choose a site"),
        error_messages=LIST_ERRORS,
    )


class CourseForm(OutcomeForm):
    heading = _("Assign a course")

    course = CourseChoiceField(
        label=_("Course"),
        queryset=TrainingCourse.objects.filter(active=True),
        required=False,
        empty_label=_("Choose a course"),
        error_messages=LIST_ERRORS,
    )


class ReferralForm(OutcomeForm):
    heading = _("Referral received by the civil-affairs office")

    office = _text(_("Civil-affairs office"), help_text=_("For example 柯城区民政局."))
    received_on = _date(_("Received on"))


class ProjectCoverForm(OutcomeForm):
    heading = _("Work-injury cover of the project")

    outcome = forms.ChoiceField(
        label=_("The project"),
        choices=[("insured", _("is insured")), ("inspection", _("is not insured: referred to labour inspection"))],
        widget=forms.RadioSelect,
        required=False,
    )
    policy_number = _text(_("Policy number"))
    referred_on = _date(_("Referred to labour inspection on"))


class RentReliefForm(OutcomeForm):
    heading = _("Rent relief granted")

    landlord = _text(_("Landlord"))
    months = _whole(_("Months of rent waived"))


class TaxNoticeForm(OutcomeForm):
    heading = _("Notice to the tax bureau")

    bureau = _text(_("Tax bureau"), help_text=_("For example 国家税务总局衢州市柯城区税务局."))
    notified_on = _date(_("Notified on"))


STEP_FORMS: dict[str, type[OutcomeForm]] = {
    service.LOAN_REFERRAL: LoanReferralForm,
    service.LOAN_OUTCOME: LoanOutcomeForm,
    Fulfilment.Kind.ENROLMENT: EnrolmentForm,
    Fulfilment.Kind.SUSPENSION: SuspensionForm,
    Fulfilment.Kind.SITE: SiteForm,
    Fulfilment.Kind.COURSE: CourseForm,
    Fulfilment.Kind.REFERRAL: ReferralForm,
    Fulfilment.Kind.PROJECT_COVER: ProjectCoverForm,
    Fulfilment.Kind.RENT_RELIEF: RentReliefForm,
    Fulfilment.Kind.TAX_NOTICE: TaxNoticeForm,
}


def outcome_form_for(application: Application, data=None) -> OutcomeForm | None:
    """The form of the step the case is at; None when there is nothing to record."""
    step = service.fulfilment_step(application)
    return STEP_FORMS[step](data, application=application) if step else None


def fulfilment_case_context(application: Application, form: OutcomeForm | None = None) -> dict:
    """What the staff case page shows of the outcome: the one recorded, the form of the next step."""
    return {
        "fulfilment": Fulfilment.objects.filter(application=application).first(),
        "outcome_form": form or outcome_form_for(application),
        "programme_details": service.programme_details_display(application),
    }
