from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.identifiers import validate_mobile
from portal.accounts.roles import Role

region_code_validator = RegexValidator(r"^\d{6}$", _("A region code has six digits, for example 330800."))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields):
        if not username:
            raise ValueError("A user needs a login identifier.")
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a citizen, or staff (caseworker, supervisor, policy admin).

    ``username`` is the identifier the account was registered with: a mobile
    number or a lower-cased e-mail address. A person logs in with either the
    mobile number or the e-mail address the account holds.
    """

    username = models.CharField(_("login identifier"), max_length=254, unique=True)
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    mobile = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[validate_mobile]
    )
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    region = models.CharField(
        _("region served"),
        max_length=6,
        blank=True,
        validators=[region_code_validator],
        help_text=_("Staff: the 6-digit code of the region whose cases they handle."),
    )
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="zh-hans")
    is_staff = models.BooleanField(
        _("admin site access"), default=False, help_text=_("Can log in to the administration site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Self-registration starts unconfirmed (``citizen_register``) until the person
    # proves the number or address is theirs; accounts made by staff, the demo
    # seed or a script are confirmed when made.
    confirmed_at = models.DateTimeField(
        _("identifier confirmed at"),
        null=True,
        blank=True,
        default=timezone.now,
        help_text=_("When the person proved the mobile number or e-mail address is theirs."),
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(region="") | Q(region__regex=r"^[0-9]{6}$"), name="user_region_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def role_names(self) -> set[str]:
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_citizen(self) -> bool:
        return self.has_role(Role.CITIZEN)

    @property
    def is_caseworker(self) -> bool:
        return self.has_role(Role.CASEWORKER)

    @property
    def is_supervisor(self) -> bool:
        return self.has_role(Role.SUPERVISOR)

    @property
    def is_policy_admin(self) -> bool:
        return self.has_role(Role.POLICY_ADMIN)


class ConfirmationCode(models.Model):
    """A 6-digit code sent by SMS to prove a mobile number, stored only as a hash.

    A row is also written, with no account and a code nobody receives, when
    someone registers a number that already has an account: the page and the
    limits are then the same as for a new number, so the answer reveals nothing.
    """

    mobile = models.CharField(_("mobile number"), max_length=11, db_index=True)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="confirmation_codes"
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=128)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("confirmation code")
        verbose_name_plural = _("confirmation codes")

    def __str__(self) -> str:
        return f"code for {self.mobile} at {self.created_at:%Y-%m-%d %H:%M}"
