from django.db import migrations, models


class Migration(migrations.Migration):
    """`max_open` used to count only unacknowledged leads: its values move to
    `max_unacknowledged`, which keeps that meaning, and `max_open` starts again, empty,
    as the limit on all the leads a rep owns without a final outcome."""

    dependencies = [
        ("reps", "0009_failed_sign_in"),
    ]

    operations = [
        migrations.RenameField(
            model_name="rep", old_name="max_open", new_name="max_unacknowledged"
        ),
        migrations.RenameField(
            model_name="historicalrep", old_name="max_open", new_name="max_unacknowledged"
        ),
        migrations.AlterField(
            model_name="rep",
            name="max_unacknowledged",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Most leads waiting for the rep's acknowledgment at once. Blank: no limit.",
                null=True,
                verbose_name="max unacknowledged leads",
            ),
        ),
        migrations.AlterField(
            model_name="historicalrep",
            name="max_unacknowledged",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Most leads waiting for the rep's acknowledgment at once. Blank: no limit.",
                null=True,
                verbose_name="max unacknowledged leads",
            ),
        ),
        migrations.AddField(
            model_name="rep",
            name="max_open",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Most leads the rep owns at once without a final outcome (converted "
                "or disqualified), acknowledged or not. Blank: no limit.",
                null=True,
                verbose_name="max open leads",
            ),
        ),
        migrations.AddField(
            model_name="historicalrep",
            name="max_open",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Most leads the rep owns at once without a final outcome (converted "
                "or disqualified), acknowledged or not. Blank: no limit.",
                null=True,
                verbose_name="max open leads",
            ),
        ),
    ]
