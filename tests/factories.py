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
