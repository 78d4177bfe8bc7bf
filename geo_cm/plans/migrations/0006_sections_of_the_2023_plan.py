"""The 2023 plan's targets name their section (章节), shown in the printout and workbook.

Plans loaded before the loader set sections have them empty, and `make run` keeps an
existing plan as it is. This fills the empty ones (a planner's own section is kept) and
leaves a history row for each target it changes, as the plan loader does.
"""

from django.db import migrations

SECTIONS = {
    "P1": "停车设施建设",
    "P2": "停车设施建设",
    "T1": "城乡公厕建设",
    "A1": "背街小巷整治",
    "A2": "背街小巷整治",
    "G1": "绿道建设",
    "L1": "城市照明",
    "R1": "环境卫生保洁",
    "R3": "环境卫生保洁",
    "R2": "道路设施养护",
    "R4": "道路设施养护",
    "R5": "道路设施养护",
    "R6": "市容秩序管理",
    "R7": "12345热线办理",
    "R8": "12345热线办理",
    "R9": "12345热线办理",
}


def fill_sections(apps, schema_editor):
    Target = apps.get_model("plans", "Target")
    PlanChange = apps.get_model("plans", "PlanChange")
    targets = Target.objects.filter(plan__year=2023, code__in=SECTIONS, section="")
    for target in targets.select_related("plan"):
        section = SECTIONS[target.code]
        target.section = section
        target.save(update_fields=["section"])
        PlanChange.objects.create(
            plan=target.plan,
            plan_label=f"{target.plan.year} {target.plan.title}",
            target_code=target.code,
            action="changed",
            changes={"section": ["", section]},
            note="migration plans.0006",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0005_hotline_rates_from_work_orders"),
    ]

    operations = [migrations.RunPython(fill_sections, migrations.RunPython.noop)]
