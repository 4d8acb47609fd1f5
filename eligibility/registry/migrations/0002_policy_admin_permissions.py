"""Gives the policy_admin role the registry: upload imports and see what departments hold."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

POLICY_ADMIN_PERMISSIONS = ["view_registryimport", "add_registryimport", "view_registry_data"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    app_config = apps.get_app_config("registry")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="policy_admin")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="registry", codename__in=POLICY_ADMIN_PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="policy_admin"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="registry", codename__in=POLICY_ADMIN_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("accounts", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
