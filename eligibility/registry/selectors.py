"""Reads of the registry. A selector never writes: whoever shows or uses what it returns records the
use with ``eligibility.registry.services.registry_person_viewed``."""

from django.db.models import QuerySet

from applications.crypto import keyed_hash
from applications.id_numbers import compact
from eligibility.registry.models import ImportProblem, RegistryImport, RegistryPerson

VIEW_PERMISSION = "registry.view_registry_data"
IMPORT_PERMISSION = "registry.add_registryimport"


def registry_person_for_id_number(id_number: str) -> RegistryPerson | None:
    """The registry person with this identity number (found through its keyed hash), or None."""
    digest = keyed_hash(compact(id_number))
    if not digest:
        return None
    return RegistryPerson.objects.filter(id_number_hash=digest).first()


def may_see_registry(user) -> bool:
    """Registry data is shown only to staff given it (the policy administrators)."""
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_PERMISSION))


def may_import(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(IMPORT_PERMISSION))


def registry_imports() -> QuerySet[RegistryImport]:
    return RegistryImport.objects.select_related("uploaded_by").order_by("-created_at", "-id")


def registry_import_problems(registry_import: RegistryImport) -> QuerySet[ImportProblem]:
    return ImportProblem.objects.filter(registry_import=registry_import).order_by("line", "id")
