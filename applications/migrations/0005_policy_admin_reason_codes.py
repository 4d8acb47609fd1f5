"""Policy admins keep the rejection reasons (both languages) in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REASON_CODE_PERMISSIONS = ["view_reasoncode", "add_reasoncode", "change_reasoncode"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="applications", codename__in=REASON_CODE_PERMISSIONS)


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    app_config = apps.get_app_config("applications")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="policy_admin")
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="policy_admin"):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_id_number_index"),
        ("accounts", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
