from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geo_cm.plans.models import Plan, Target
from geo_cm.plans.registry import metrics
from geo_cm.plans.services import plan_change_record, plan_snapshot

TITLE = "浦口区2023年城市管理工作实施意见"
ISSUER = "南京市浦口区城市管理局"
# (code, zh, en, unit, value, comparator, kind, metric key)
TARGETS = (
    ("P1", "新增停车泊位", "New parking berths", "个", 1000, ">=", "metric", "parking.new_berths"),
    (
        "P2",
        "停车资源共享场景",
        "Shared-parking sites",
        "处",
        2,
        ">=",
        "metric",
        "parking.new_shared_sites",
    ),
    (
        "T1",
        "新改建城乡公厕",
        "Toilets built or renovated",
        "座",
        10,
        ">=",
        "metric",
        "toilets.built_or_renovated",
    ),
    (
        "A1",
        "背街小巷整治提升",
        "Back alleys renovated",
        "条",
        10,
        ">=",
        "metric",
        "streets.alleys_completed",
    ),
    (
        "A2",
        "精品街巷",
        "Boutique streets",
        "条",
        3,
        ">=",
        "metric",
        "streets.boutique_alleys_completed",
    ),
    ("G1", "绿道建设", "Greenway built", "km", 15, ">=", "metric", "greenways.completed_km"),
    (
        "L1",
        "路灯节能改造道路",
        "Roads with retrofitted lights",
        "条",
        40,
        ">=",
        "metric",
        "streets.retrofitted_roads",
    ),
    ("R1", "主干道机扫率", "Main-road machine sweeping rate", "%", 98, ">=", "reported", ""),
    ("R2", "道路整体优良率", "Road condition good rate", "%", 90, ">=", "reported", ""),
    ("R3", "水扫率", "Water sweeping rate", "%", 80, ">=", "reported", ""),
    ("R4", "主次干道完好率", "Main and secondary roads intact rate", "%", 98, ">=", "reported", ""),
    ("R5", "支路街巷完好率", "Branch roads and alleys intact rate", "%", 95, ">=", "reported", ""),
    ("R6", "门前三包履责率", "Frontage responsibility compliance", "%", 95, ">=", "reported", ""),
    # Reported indicators computed from the work orders where the period has any (the
    # metric is a "rate"); staff readings stand for the periods without.
    (
        "R7",
        "12345热线回复率",
        "12345 hotline reply rate",
        "%",
        100,
        ">=",
        "reported",
        "workorders.reply_rate",
    ),
    (
        "R8",
        "12345热线办结率",
        "12345 hotline resolution rate",
        "%",
        95,
        ">=",
        "reported",
        "workorders.close_rate",
    ),
    (
        "R9",
        "12345热线满意率",
        "12345 hotline satisfaction rate",
        "%",
        90,
        ">=",
        "reported",
        "workorders.satisfaction_rate",
    ),
)


# The plan's sections (章节): the chapter of the document each target belongs to, shown in
# the printout and the workbook. plans.0006 fills them in plans loaded before they existed.
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


class Command(BaseCommand):
    help = f"Load the 2023 plan ({TITLE}) with its numeric targets; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when a 2023 plan exists (keeps the planners' edits; make run)",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if options["if_missing"] and Plan.objects.filter(year=2023).exists():
            if options["verbosity"] >= 1:
                self.stdout.write("The 2023 plan is in the database already: kept as it is.")
            return
        # Keyed on the year alone: a planner may have renamed the plan since.
        plan, _ = Plan.objects.get_or_create(
            year=2023, defaults={"title": TITLE, "issuing_body": ISSUER}
        )
        for code, zh, en, unit, value, comparator, kind, key in TARGETS:
            if key and metrics.get(key) is None:
                raise CommandError(f"Target {code} names metric '{key}', which no app declares.")
            target = Target.objects.filter(plan=plan, code=code).first()
            before = plan_snapshot(target) if target is not None else None
            target = target or Target(plan=plan, code=code)
            target.title_zh, target.title_en, target.unit = zh, en, unit
            target.target_value, target.comparator = value, comparator
            target.kind, target.metric_key = kind, key
            target.section = SECTIONS[code]
            target.save()
            if before is None:
                continue
            target.refresh_from_db()  # compare stored values, not the literals above
            # Like an admin edit, a reload that changes a target leaves a history row.
            plan_change_record(
                plan=plan,
                target_code=code,
                before=before,
                after=plan_snapshot(target),
                user=None,
                note="load_plan_2023",
            )
        self.stdout.write(f"{plan}: {plan.targets.count()} targets")
