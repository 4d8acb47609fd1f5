"""Every case ends in an outcome: the fulfilment of programmes without cash (applications.services.fulfilment)."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.models import AuditEntry, CaseEvent, Fulfilment, Notification, Payment, Status
from applications.services import fulfilment as service
from applications.services.transitions import IllegalTransition, application_transition
from applications.staff.fulfilment_forms import STEP_FORMS
from eligibility.models import IncubatorSite, TrainingCourse
from eligibility.rules import PROGRAMMES
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory, programme

pytestmark = pytest.mark.django_db

Kind = Fulfilment.Kind
_references = itertools.count(500)


def slug_for(kind: str, *, insurance: bool | None = None) -> str:
    """The programme whose rules end in ``kind`` (the attribute, never a slug written here)."""
    for slug, rules in PROGRAMMES.items():
        if rules.fulfilment != kind:
            continue
        if insurance is None or service.asks_insurance(programme(slug)) == insurance:
            return slug
    raise LookupError(kind)


def approved_case(kind: str, *, insurance: bool | None = None, language: str = "zh-hans", **fields):
    """An approved case of the programme ending in ``kind``, approved ten days ago by its caseworker."""
    chosen = programme(slug_for(kind, insurance=insurance))
    fields.setdefault("assigned_to", CaseworkerFactory())
    fields.setdefault("applicant", CitizenFactory(preferred_language=language))
    loan = chosen.per == "loan"
    return ApplicationFactory(
        programme=chosen,
        status=Status.APPROVED,
        reference=f"LH-2026-{next(_references):06d}",
        submitted_on=timezone.localdate() - timedelta(days=20),
        submitted_at=timezone.now() - timedelta(days=20),
        decided_at=timezone.now() - timedelta(days=10),
        amount=Decimal("300000.00") if loan else None,
        evaluation={"as_of": "2026-11-01", "status": "eligible", "amount": None, "parameters": {}},
        **fields,
    )


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def site():
    return IncubatorSite.objects.create(
        name_zh="柯城区创业园", name_en="Kecheng Start-up Park", address="衢州市柯城区 1 号", free_until=days_ago(-400)
    )


@pytest.fixture
def course():
    return TrainingCourse.objects.create(
        name_zh="SYB 培训班", name_en="SYB course", starts_on=days_ago(-30), place="衢州市职业技能培训中心"
    )


def fulfil(application, details, actor=None):
    return service.application_fulfil(
        application=application, acting_user=actor or application.assigned_to, details=details
    )


# --- Which programmes end how -----------------------------------------------------------------


def test_cash_programmes_end_in_payments_and_every_other_in_a_fulfilment():
    for slug, rules in PROGRAMMES.items():
        assert (rules.fulfilment is None) == (rules.per in ("month", "once")), slug
        if rules.fulfilment is not None:
            assert rules.fulfilment in Kind.values
            assert rules.fulfilment in STEP_FORMS or rules.fulfilment == Kind.LOAN


def test_a_cash_case_keeps_its_payment_schedule_and_has_no_outcome_to_record():
    cash = ApplicationFactory(status=Status.APPROVED, reference="LH-2026-000001", assigned_to=CaseworkerFactory())
    assert service.fulfilment_step(cash) is None
    with pytest.raises(service.FulfilmentUnavailable):
        fulfil(cash, {"enrolled_on": days_ago(1)})
    assert not Fulfilment.objects.exists()


# --- Each kind: what is recorded, and what is refused ------------------------------------------------


def test_the_loan_is_referred_then_granted(mailoutbox):
    case = approved_case(Kind.LOAN)
    fulfil(case, {"guarantee_centre": "衢州市创业担保中心", "bank": "衢州银行", "referred_on": days_ago(5)})
    case.refresh_from_db()
    assert case.status == Status.REFERRED
    row = Fulfilment.objects.get(application=case)
    assert (row.partner, row.partner_name, row.referred_on) == ("bank", "衢州银行", days_ago(5))
    assert service.fulfilment_step(case) == service.LOAN_OUTCOME
    fulfil(
        case,
        {
            "outcome": "granted",
            "amount": Decimal("200000"),
            "bank": "衢州银行",
            "granted_on": days_ago(2),
            "term_months": 24,
        },
    )
    case.refresh_from_db()
    assert case.status == Status.SERVED
    row.refresh_from_db()
    assert row.details["referral"]["guarantee_centre"] == "衢州市创业担保中心"
    assert row.details["granted"] == {
        "amount": "200000.00",
        "bank": "衢州银行",
        "granted_on": days_ago(2).isoformat(),
        "term_months": 24,
    }
    with translation.override("zh-hans"):
        granted_on = days_ago(2)
        day = f"{granted_on.year}年{granted_on.month}月{granted_on.day}日"
        assert row.outcome_text == f"已获贷款 200,000.00 元，衢州银行，{day}，期限 24 个月。"
    assert [e.to_status for e in case.events.all()] == [Status.REFERRED, Status.SERVED]
    assert service.fulfilment_step(case) is None


def test_the_bank_may_decline_the_loan():
    case = approved_case(Kind.LOAN)
    fulfil(case, {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(5)})
    fulfil(case, {"outcome": "declined", "declined_on": days_ago(1), "reason": "经营流水不足"})
    case.refresh_from_db()
    assert case.status == Status.PARTNER_DECLINED
    with translation.override("en"):
        assert "declined the loan" in case.fulfilment.outcome_text
        assert "经营流水不足" in case.fulfilment.outcome_text


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"outcome": "granted", "amount": "300000.01", "bank": "B", "granted_on": "D", "term_months": 24}, "amount"),
        ({"outcome": "granted", "amount": "0", "bank": "B", "granted_on": "D", "term_months": 24}, "amount"),
        ({"outcome": "granted", "amount": "1000", "bank": "", "granted_on": "D", "term_months": 24}, "bank"),
        ({"outcome": "granted", "amount": "1000", "bank": "B", "granted_on": "D", "term_months": 0}, "term_months"),
        ({"outcome": "granted", "amount": "1000", "bank": "B", "granted_on": "before", "term_months": 2}, "granted_on"),
        ({"outcome": "granted", "amount": "1000", "bank": "B", "granted_on": "future", "term_months": 2}, "granted_on"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "declined"}, "declined_on"),
    ],
)
def test_a_loan_outcome_that_does_not_hold_is_refused_at_its_field(details, field):
    case = approved_case(Kind.LOAN)
    fulfil(case, {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(5)})
    dates = {"D": days_ago(1), "before": days_ago(6), "future": days_ago(-1)}
    details = {name: dates.get(value, value) if name.endswith("_on") else value for name, value in details.items()}
    with pytest.raises(ValidationError) as error:
        fulfil(case, details)
    assert field in error.value.message_dict
    case.refresh_from_db()
    assert case.status == Status.REFERRED


def test_a_referral_dated_before_the_approval_is_refused():
    case = approved_case(Kind.LOAN)
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(11)})
    assert set(error.value.message_dict) == {"referred_on"}
    assert not Fulfilment.objects.exists() and Status(case.status) == Status.APPROVED


def test_enrolment_records_the_date_and_which_insurance_where_the_programme_asks():
    case = approved_case(Kind.ENROLMENT, insurance=True)
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"enrolled_on": days_ago(1)})
    assert set(error.value.message_dict) == {"insurance"}
    fulfil(case, {"enrolled_on": days_ago(1), "insurance": "both"})
    case.refresh_from_db()
    assert case.status == Status.SERVED
    with translation.override("en"):
        assert case.fulfilment.outcome_text.startswith("Enrolled in pension and medical insurance from")
    other = approved_case(Kind.ENROLMENT, insurance=False)
    fulfil(other, {"enrolled_on": days_ago(1)})
    assert Fulfilment.objects.get(application=other).details == {"enrolled_on": days_ago(1).isoformat()}


def test_suspension_records_the_months_and_refuses_them_backwards():
    case = approved_case(Kind.SUSPENSION)
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"from_month": "2027-03", "to_month": "2027-01"})
    assert set(error.value.message_dict) == {"to_month"}
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"from_month": "2027-13", "to_month": "2027-01"})
    assert "from_month" in error.value.message_dict
    fulfil(case, {"from_month": "2027-01", "to_month": "2027-06"})
    with translation.override("zh-hans"):
        assert "2027年1月" in Fulfilment.objects.get().outcome_text


def test_a_site_comes_from_the_list_and_is_kept_as_it_was(site):
    case = approved_case(Kind.SITE)
    site_elsewhere = IncubatorSite.objects.create(
        name_zh="旧园区", name_en="Old park", address="x", free_until=days_ago(-10), active=False
    )
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"site": site_elsewhere.pk})
    assert set(error.value.message_dict) == {"site"}
    fulfil(case, {"site": site})
    site.name_zh = "改名以后"
    site.save()
    row = Fulfilment.objects.get()
    assert row.site == site
    with translation.override("zh-hans"):
        assert "柯城区创业园" in row.outcome_text and "改名以后" not in row.outcome_text


def test_a_site_no_longer_free_is_refused(site):
    site.free_until = days_ago(1)
    site.save()
    with pytest.raises(ValidationError) as error:
        fulfil(approved_case(Kind.SITE), {"site": site.pk})
    assert set(error.value.message_dict) == {"site"}


def test_a_course_comes_from_the_list(course):
    case = approved_case(Kind.COURSE)
    with pytest.raises(ValidationError):
        fulfil(case, {"course": "999999"})
    fulfil(case, {"course": course.pk})
    with translation.override("en"):
        assert Fulfilment.objects.get().outcome_text.startswith("Course assigned: SYB course")


def test_the_civil_affairs_referral_records_office_and_date():
    case = approved_case(Kind.REFERRAL)
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"office": " ", "received_on": "2026-02-30"})
    assert set(error.value.message_dict) == {"office", "received_on"}
    fulfil(case, {"office": "柯城区民政局", "received_on": days_ago(3).isoformat()})
    row = Fulfilment.objects.get()
    assert (row.partner, row.partner_name, row.referred_on) == ("civil_affairs", "柯城区民政局", days_ago(3))


def test_project_cover_is_insured_or_referred_to_labour_inspection():
    insured = approved_case(Kind.PROJECT_COVER)
    with pytest.raises(ValidationError) as error:
        fulfil(insured, {"outcome": "insured", "policy_number": ""})
    assert set(error.value.message_dict) == {"policy_number"}
    fulfil(insured, {"outcome": "insured", "policy_number": "PICC-2026-0042"})
    inspected = approved_case(Kind.PROJECT_COVER)
    fulfil(inspected, {"outcome": "inspection", "referred_on": days_ago(1)})
    with translation.override("en"):
        assert "PICC-2026-0042" in insured.fulfilment.outcome_text
        assert "labour inspection" in Fulfilment.objects.get(application=inspected).outcome_text


def test_rent_relief_records_landlord_and_months_within_what_was_promised():
    case = approved_case(Kind.RENT_RELIEF)
    case.evaluation = {**case.evaluation, "parameters": {"rent.relief_months": {"value": "3"}}}
    case.save()
    with pytest.raises(ValidationError) as error:
        fulfil(case, {"landlord": "衢州市国资公司", "months": 4})
    assert set(error.value.message_dict) == {"months"}
    fulfil(case, {"landlord": "衢州市国资公司", "months": 3})
    with translation.override("en"):
        assert Fulfilment.objects.get().outcome_text == "衢州市国资公司 waives 3 months of rent."


def test_the_tax_bureau_notice_records_bureau_and_date():
    case = approved_case(Kind.TAX_NOTICE)
    fulfil(case, {"bureau": "柯城区税务局", "notified_on": days_ago(0)})
    row = Fulfilment.objects.get()
    assert (row.partner, row.referred_on) == ("tax_bureau", days_ago(0))


# --- The one status change, who may act, audit and message --------------------------------------------


def test_the_outcome_moves_are_in_the_table_and_others_are_refused():
    case = approved_case(Kind.TAX_NOTICE)
    with pytest.raises(IllegalTransition):
        application_transition(application=case, to_status=Status.PARTNER_DECLINED)
    for final in (Status.SERVED, Status.PARTNER_DECLINED):
        ended = ApplicationFactory(status=final)
        for target in Status:
            if target != final:
                with pytest.raises(IllegalTransition):
                    application_transition(application=ended, to_status=target)
    referred = ApplicationFactory(status=Status.REFERRED)
    for target in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.IN_REVIEW):
        with pytest.raises(IllegalTransition):
            application_transition(application=referred, to_status=target)


def test_an_outcome_is_recorded_once():
    case = approved_case(Kind.TAX_NOTICE)
    fulfil(case, {"bureau": "柯城区税务局", "notified_on": days_ago(0)})
    with pytest.raises(service.FulfilmentUnavailable):
        fulfil(case, {"bureau": "别的税务局", "notified_on": days_ago(0)})
    assert Fulfilment.objects.get().partner_name == "柯城区税务局"


def test_a_case_not_yet_approved_has_no_outcome():
    case = approved_case(Kind.TAX_NOTICE)
    case.status = Status.IN_REVIEW
    case.save()
    with pytest.raises(service.FulfilmentUnavailable):
        fulfil(case, {"bureau": "柯城区税务局", "notified_on": days_ago(0)})


def test_only_its_caseworker_or_a_supervisor_of_the_region_records_the_outcome():
    case = approved_case(Kind.TAX_NOTICE)
    details = {"bureau": "柯城区税务局", "notified_on": days_ago(0)}
    for outsider in (CaseworkerFactory(), SupervisorFactory(region="330100"), case.applicant):
        with pytest.raises(PermissionDenied):
            fulfil(case, details, actor=outsider)
    assert not Fulfilment.objects.exists()
    fulfil(case, details, actor=SupervisorFactory())
    assert Fulfilment.objects.exists()


def test_the_outcome_is_audited_and_told_to_the_applicant_in_their_language():
    chinese = approved_case(Kind.REFERRAL, language="zh-hans")
    english = approved_case(Kind.REFERRAL, language="en")
    for case in (chinese, english):
        fulfil(case, {"office": "柯城区民政局", "received_on": days_ago(2)})
    entry = AuditEntry.objects.get(application=chinese, action=AuditEntry.Action.DECISION)
    assert entry.details["decision"] == "fulfilment_served"
    assert entry.details["office"] == "柯城区民政局" and entry.actor == chinese.assigned_to
    assert AuditEntry.objects.filter(application=chinese, action=AuditEntry.Action.TRANSITION).count() == 1
    zh = Notification.objects.filter(application=chinese, event=Notification.Event.FULFILLED)
    en = Notification.objects.filter(application=english, event=Notification.Event.FULFILLED)
    assert {n.channel for n in zh} == {"inbox", "email", "sms"} and {n.language for n in zh} == {"zh-hans"}
    zh_mail = zh.get(channel="email")
    assert "柯城区民政局" in zh_mail.body and "民政部门决定" in zh_mail.body
    assert chinese.reference in zh_mail.subject and "办理结果" in zh_mail.subject
    en_sms = en.get(channel="sms")
    assert "Kecheng" not in en_sms.body and "received your referral" in en_sms.body
    assert "civil-affairs office decides" in en.get(channel="email").body


def test_a_decline_by_the_bank_sends_its_own_message():
    case = approved_case(Kind.LOAN, language="en")
    fulfil(case, {"guarantee_centre": "担保中心", "bank": "Quzhou Bank", "referred_on": days_ago(5)})
    assert Notification.objects.filter(application=case, event=Notification.Event.REFERRED).exists()
    fulfil(case, {"outcome": "declined", "declined_on": days_ago(1)})
    mail = Notification.objects.get(application=case, event=Notification.Event.PARTNER_DECLINED, channel="email")
    assert "declined by the partner" in mail.subject and "The bank (Quzhou Bank) declined the loan" in mail.body


def test_cash_approval_is_unchanged():
    cash = ApplicationFactory(status=Status.APPROVED, reference="LH-2026-000002")
    from applications.services.payments import payment_schedule_create

    cash.decided_at = timezone.now()
    cash.save()
    assert len(payment_schedule_create(application=cash)) == 24
    assert Payment.objects.count() == 24 and not CaseEvent.objects.filter(to_status=Status.SERVED).exists()
