"""Matching keeps less (issue 12): the facts are read from the registry's ``facts_vector`` (registry 0003),
so ``PersonState`` keeps only the digest; result rows are kept only for results that say something about
the person (eligible, information needed) or once did, so the rows of results never other than "not
eligible" go; the references of results and states to persons and programmes are kept by Django, not
checked by the database on each write; and the eligible rows of a run are found by an index (the run's
invitations)."""

import django.db.models.deletion
from django.db import migrations, models


def drop_rows_that_say_nothing(apps, schema_editor):
    # No row means not eligible: such a row, never eligible, says what its absence says.
    MatchResult = apps.get_model("matching", "MatchResult")
    MatchResult.objects.filter(status__in=["ineligible", "not_in_force"], first_eligible_on__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0006_fulfilment_lists"),
        ("matching", "0001_initial"),
        ("registry", "0003_facts_vector"),
    ]

    operations = [
        # Kept by Django, not checked by the database on each of millions of writes (see the model).
        migrations.AlterField(
            model_name="matchresult",
            name="person",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="match_results",
                to="registry.registryperson",
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="matchresult",
            name="programme",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="match_results",
                to="eligibility.programme",
                verbose_name="programme",
            ),
        ),
        migrations.AlterField(
            model_name="personstate",
            name="person",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="match_state",
                serialize=False,
                to="registry.registryperson",
            ),
        ),
        migrations.RemoveField(model_name="personstate", name="facts"),
        migrations.RemoveField(model_name="personstate", name="layout"),
        migrations.RemoveField(model_name="personstate", name="source_tuple"),
        migrations.RemoveField(model_name="personstate", name="source_version"),
        migrations.AddIndex(
            model_name="matchresult",
            index=models.Index(
                condition=models.Q(("status", "eligible")), fields=["run"], name="match_result_run_eligible"
            ),
        ),
        migrations.RunPython(drop_rows_that_say_nothing, migrations.RunPython.noop),
    ]
