"""The 2023 plan's targets carry their section (章节) into the printout and the workbook."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from openpyxl import load_workbook

from geo_cm.management.commands.load_plan_2023 import SECTIONS, TARGETS
from geo_cm.plans.models import Plan, PlanChange, Target

migration = importlib.import_module("geo_cm.plans.migrations.0006_sections_of_the_2023_plan")
pytestmark = pytest.mark.django_db


def test_every_target_of_the_loader_has_a_section():
    assert {t[0] for t in TARGETS} == set(SECTIONS)
    assert all(SECTIONS.values())
    assert migration.SECTIONS == SECTIONS  # the migration fills what the loader sets


def test_printout_and_workbook_show_the_sections(planner_web, areas):
    call_command("load_plan_2023", verbosity=0)
    assert not Target.objects.filter(section="").exists()
    html = planner_web.get("/plans/2023/print/", {"today": "2023-12-31"}).content.decode()
    row = html[html.index("<td>A1</td>") :]
    row = row[: row.index("</tr>")]
    assert "<td>背街小巷整治</td>" in row
    book = load_workbook(io.BytesIO(planner_web.get("/plans/2023/report.xlsx").content))
    sheet = book.worksheets[0]
    header = next(
        r for r in sheet.iter_rows(values_only=True) if r and r[0] in ("Code", "编号", "代码")
    )
    column = header.index(next(h for h in header if h in ("Section", "章节")))
    sections = {
        r[0]: r[column] for r in sheet.iter_rows(values_only=True) if r and r[0] in SECTIONS
    }
    assert sections == SECTIONS


def test_migration_fills_empty_sections_and_keeps_a_planners_own():
    plan = Plan.objects.create(year=2023, title="2023 plan", issuing_body="bureau")
    common = dict(plan=plan, unit="%", target_value=90, kind="reported")
    r1 = Target.objects.create(code="R1", title_zh="R1", **common)
    r2 = Target.objects.create(code="R2", title_zh="R2", section="道路", **common)
    migration.fill_sections(apps, None)
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert r1.section == "环境卫生保洁" and r2.section == "道路"
    change = PlanChange.objects.get()
    assert change.target_code == "R1" and change.changes == {"section": ["", "环境卫生保洁"]}
    assert change.note == "migration plans.0006"
