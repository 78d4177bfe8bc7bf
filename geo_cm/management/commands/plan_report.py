"""``manage.py plan_report YEAR --format xlsx|html|map --output FILE [--today] [--lang]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import translation

from geo_cm.plans.models import Plan
from geo_cm.plans.reports import (
    map_report_html,
    report_build,
    report_print_context,
    report_xlsx,
)
from geo_cm.plans.views import BadDate, parse_today

SUFFIXES = {"xlsx": "xlsx", "html": "html", "htm": "html"}


class Command(BaseCommand):
    help = (
        "Write the progress report of a year's plan: an Excel workbook (xlsx), the "
        "printable page (html) or the self-contained offline map report (map)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--format", choices=["xlsx", "html", "map"], help="default: from the file suffix"
        )
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--today",
            help="judge as of this date (YYYY-MM-DD); default today, or 31 December for a "
            "past year's plan",
        )
        parser.add_argument(
            "--lang", default="zh-hans", choices=["zh-hans", "en"], help="default: zh-hans"
        )

    def handle(self, *args, year, output, today, lang, **opts):
        path = Path(output)
        fmt = opts["format"] or SUFFIXES.get(path.suffix.lower().lstrip("."))
        if fmt is None:
            raise CommandError(f"Give --format (xlsx, html or map); {path.name} does not say.")
        plan = Plan.objects.filter(year=year).first()
        if plan is None:
            raise CommandError(f"There is no plan for {year}.")
        try:
            day = parse_today(today, plan_year=year)
        except BadDate as exc:
            raise CommandError(str(exc)) from exc
        with translation.override(lang):
            report = report_build(plan=plan, today=day)
            if fmt == "xlsx":
                path.write_bytes(report_xlsx(report))
            elif fmt == "html":
                page = render_to_string("plans/print_report.html", report_print_context(report))
                path.write_text(page, encoding="utf-8")
            else:
                path.write_text(map_report_html(report), encoding="utf-8")
        self.stdout.write(f"{plan} as of {day.isoformat()}: {fmt} report written to {path}.")
