"""The 2023 plan's hotline indicators (R7-R9) are computed from work orders from now on.

Databases that loaded the plan before the work-order app existed hold R7-R9 as reported
indicators without a metric, and `make run` keeps an existing plan as it is. This names
their metrics (readings stay in use for periods without work orders), and leaves a
history row for each target it changes, as the plan loader does. Targets a planner has
given another metric are left alone.
"""

from django.db import migrations

HOTLINE_METRICS = {
    "R7": "workorders.reply_rate",
    "R8": "workorders.close_rate",
    "R9": "workorders.satisfaction_rate",
}


def name_hotline_metrics(apps, schema_editor):
    Target = apps.get_model("plans", "Target")
    PlanChange = apps.get_model("plans", "PlanChange")
    targets = Target.objects.filter(
        plan__year=2023, code__in=HOTLINE_METRICS, kind="reported", metric_key=""
    ).select_related("plan")
    for target in targets:
        key = HOTLINE_METRICS[target.code]
        target.metric_key = key
        target.save(update_fields=["metric_key"])
        PlanChange.objects.create(
            plan=target.plan,
            plan_label=f"{target.plan.year} {target.plan.title}",
            target_code=target.code,
            action="changed",
            changes={"metric_key": ["", key]},
            note="migration plans.0005",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_one_plan_a_year_and_change_note"),
    ]

    operations = [migrations.RunPython(name_hotline_metrics, migrations.RunPython.noop)]
