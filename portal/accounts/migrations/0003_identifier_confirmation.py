import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def confirm_existing_accounts(apps, schema_editor):
    # Accounts made before confirmation existed were in use already: they count as confirmed.
    User = apps.get_model("accounts", "User")
    User.objects.filter(confirmed_at__isnull=True).update(confirmed_at=models.F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="confirmed_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                help_text="When the person proved the mobile number or e-mail address is theirs.",
                verbose_name="identifier confirmed at",
            ),
        ),
        migrations.RunPython(confirm_existing_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="confirmed_at",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                help_text="When the person proved the mobile number or e-mail address is theirs.",
                null=True,
                verbose_name="identifier confirmed at",
            ),
        ),
        migrations.CreateModel(
            name="ConfirmationCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("mobile", models.CharField(db_index=True, max_length=11, verbose_name="mobile number")),
                ("code_hash", models.CharField(max_length=128, verbose_name="code (hashed)")),
                ("failed_attempts", models.PositiveSmallIntegerField(default=0, verbose_name="wrong tries")),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="sent at"),
                ),
                ("expires_at", models.DateTimeField(verbose_name="expires at")),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="used at")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="confirmation_codes",
                        to="accounts.user",
                    ),
                ),
            ],
            options={
                "verbose_name": "confirmation code",
                "verbose_name_plural": "confirmation codes",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
