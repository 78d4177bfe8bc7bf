from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("geo_cm", "0005_change_related_and_subdistrict_abbreviation"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("model", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(null=True)),
                ("extent", models.JSONField(null=True)),
                ("extent_version", models.BigIntegerField(null=True)),
            ],
            options={"verbose_name": "data version"},
        ),
        # One sequence for every table's versions: a value is never handed out twice, so
        # an ETag made from one can never match a later state of the data.
        migrations.RunSQL(
            "CREATE SEQUENCE geo_cm_data_version_seq",
            "DROP SEQUENCE geo_cm_data_version_seq",
        ),
    ]
