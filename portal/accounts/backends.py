from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from portal.accounts.identifiers import parse_identifier


class IdentifierBackend(ModelBackend):
    """Logs a person in with their mobile number or e-mail address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user_by_identifier(username)
        if user is None:
            # Run the hasher anyway so that a missing account takes as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def find_user_by_identifier(raw: str):
    User = get_user_model()
    try:
        identifier = parse_identifier(raw)
    except ValidationError:
        return User.objects.filter(username=raw.strip()).first() if raw else None
    field = "email" if identifier.kind == "email" else "mobile"
    return User.objects.filter(**{field: identifier.value}).first()
