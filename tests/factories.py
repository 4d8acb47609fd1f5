from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.accounts.roles import Role

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}@example.com")
    email = factory.LazyAttribute(lambda o: o.username if "@" in o.username else None)
    mobile = factory.LazyAttribute(lambda o: None if "@" in o.username else o.username)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _give_role(self, create, extracted)


def _give_role(user, create: bool, role: str | None) -> None:
    if role:
        user.groups.add(Group.objects.get(name=role))
    if create:
        user.save()


def _role_default(default: Role):
    return factory.PostGeneration(lambda user, create, extracted, **kw: _give_role(user, create, extracted or default))


class CitizenFactory(UserFactory):
    role = _role_default(Role.CITIZEN)


class CaseworkerFactory(UserFactory):
    region = "330800"
    role = _role_default(Role.CASEWORKER)


class SupervisorFactory(UserFactory):
    region = "330800"
    role = _role_default(Role.SUPERVISOR)


class PolicyAdminFactory(UserFactory):
    is_staff = True
    role = _role_default(Role.POLICY_ADMIN)


# --- Applications -------------------------------------------------------------------

VALID_ID_NUMBER = "330802199905021230"  # born 1999-05-02, checksum valid
GRADUATE_FACTS = {
    "birth_date": "1999-05-02",
    "groups": ["college_graduate"],
    "graduation_date": "2025-06-30",
    "employed_since_graduation": False,
    "employment_form": "part_time",
    "pays_flexible_pension": True,
    "pays_flexible_medical": False,
}


def programme(slug: str = "flexible-si-subsidy"):
    from eligibility.models import Programme

    return Programme.objects.get(slug=slug)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with every step answered (documents not yet attached)."""

    class Meta:
        model = "applications.Application"

    applicant = factory.SubFactory(CitizenFactory)
    programme = factory.LazyFunction(programme)
    facts = factory.LazyFunction(lambda: dict(GRADUATE_FACTS))
    full_name = "王小明"
    id_number = VALID_ID_NUMBER
    mobile = "13912345678"
    address = "浙江省衢州市柯城区荷花街道 1 号"
    bank_name = "中国工商银行衢州分行"
    bank_account = "6222021234567890123"
    completed_steps = ["personal", "situation", "payment", "documents"]
    # What the engine answers for GRADUATE_FACTS (kept as at submission).
    evaluation = factory.LazyFunction(
        lambda: {
            "as_of": "2026-11-23",
            "status": "eligible",
            "amount": {"value": "500.00", "currency": "CNY", "per": "month", "max_periods": 24},
            "criteria": [],
            "missing_facts": [],
            "parameters": {},
        }
    )
    amount = Decimal("500.00")


GRADUATE_DOCUMENTS = ("identity_card", "graduation_certificate", "social_insurance_receipts")


def ready_to_submit(**kwargs):
    """A draft with every step answered and the documents GRADUATE_FACTS needs
    (rows only: the files themselves are not read before submission)."""
    from applications.models import Document

    application = ApplicationFactory(**kwargs)
    for kind in GRADUATE_DOCUMENTS:
        Document.objects.create(
            application=application,
            kind=kind,
            original_name="x.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=application.applicant,
            file="documents/x.pdf",
        )
    return application
