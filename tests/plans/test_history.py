"""Plan edit history: planners edit plans and targets in the admin; every change is kept."""

from html.parser import HTMLParser

import pytest

from geo_cm.plans.models import Plan, PlanChange, Target

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would submit from the admin change form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = "on"
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += (
                data.lstrip("\n") if not self.values[self._textarea] else data
            )


def form_values(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


@pytest.fixture
def plan(db):
    plan = Plan.objects.create(title="测试计划", issuing_body="测试城管局", year=2023)
    Target.objects.create(
        plan=plan, code="P1", title_zh="新增停车泊位", title_en="New berths", unit="个",
        target_value=1000, kind="metric", metric_key="parking.new_berths",
    )  # fmt: skip
    return plan


def _index(values, code):
    return next(k.split("-")[1] for k, v in values.items() if k.endswith("-code") and v == code)


def test_editing_a_target_value_in_the_plan_admin_keeps_before_and_after(
    plan, planner_web, planner_user
):
    url = f"/admin/plans/plan/{plan.pk}/change/"
    values = form_values(planner_web, url)
    i = _index(values, "P1")
    assert values[f"targets-{i}-target_value"] == "1000.000"
    values[f"targets-{i}-target_value"] = "1200"
    response = planner_web.post(url, values)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Target.objects.get(code="P1").target_value == 1200
    change = PlanChange.objects.get()
    assert change.action == "changed"
    assert change.plan == plan and change.target_code == "P1"
    assert change.changes == {"target_value": ["1000", "1200"]}
    assert change.user == planner_user and change.at is not None

    # Saving again with nothing changed adds no row; the history shows on the page.
    planner_web.post(url, form_values(planner_web, url))
    assert PlanChange.objects.count() == 1
    page = planner_web.get(url).content.decode()
    assert "<code>target_value</code>: 1000 → 1200" in page


def test_adding_and_deleting_targets_and_editing_the_plan(plan, planner_web):
    url = f"/admin/plans/plan/{plan.pk}/change/"
    values = form_values(planner_web, url)
    n = int(values["targets-TOTAL_FORMS"])
    values.update(
        {
            f"targets-{n}-code": "T1",
            f"targets-{n}-title_zh": "新改建城乡公厕",
            f"targets-{n}-title_en": "Toilets",
            f"targets-{n}-unit": "座",
            f"targets-{n}-target_value": "10",
            f"targets-{n}-comparator": ">=",
            f"targets-{n}-kind": "metric",
            f"targets-{n}-metric_key": "toilets.built_or_renovated",
            f"targets-{n}-milestones": "{}",
            f"targets-{n}-plan": str(plan.pk),
            "targets-TOTAL_FORMS": str(n + 1),
            "title": "测试计划（修订）",
        }
    )
    values[f"targets-{_index(values, 'P1')}-DELETE"] = "on"
    response = planner_web.post(url, values)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = {(c.target_code, c.action): c.changes for c in PlanChange.objects.all()}
    assert rows[("", "changed")] == {"title": ["测试计划", "测试计划（修订）"]}
    assert rows[("T1", "created")]["target_value"] == [None, "10"]
    assert rows[("T1", "created")]["code"] == [None, "T1"]
    assert rows[("P1", "deleted")]["target_value"] == ["1000", None]
    assert rows[("P1", "deleted")]["title_zh"] == ["新增停车泊位", None]
    assert not Target.objects.filter(code="P1").exists()


def test_target_admin_and_plan_deletion_are_kept(plan, planner_web, planner_user):
    target = plan.targets.get(code="P1")
    url = f"/admin/plans/target/{target.pk}/change/"
    values = form_values(planner_web, url)
    values["section"] = "停车"
    assert planner_web.post(url, values).status_code == 302
    change = PlanChange.objects.get()
    assert change.changes == {"section": ["", "停车"]} and change.target_code == "P1"

    response = planner_web.post(f"/admin/plans/plan/{plan.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Plan.objects.exists()
    # The history outlives the plan, labelled with its name.
    deleted = PlanChange.objects.filter(action="deleted")
    assert {c.target_code for c in deleted} == {"", "P1"}
    assert all(c.plan is None and c.plan_label == "2023 测试计划" for c in deleted)
    assert PlanChange.objects.count() == 3


def test_history_is_read_only(plan, planner_web):
    assert planner_web.get("/admin/plans/planchange/").status_code == 200
    assert planner_web.get("/admin/plans/planchange/add/").status_code == 403


def test_a_target_cannot_be_moved_to_another_plan(plan, planner_web):
    other = Plan.objects.create(title="另一计划", issuing_body="测试", year=2024)
    target = plan.targets.first()
    url = f"/admin/plans/target/{target.pk}/change/"
    values = form_values(planner_web, url)
    values["plan"] = str(other.pk)
    assert planner_web.post(url, values).status_code == 302
    target.refresh_from_db()
    assert target.plan_id == plan.pk


def test_one_plan_a_year():
    from django.db import IntegrityError, transaction

    Plan.objects.create(title="甲", issuing_body="x", year=2030)
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(title="乙", issuing_body="x", year=2030)


def test_reloading_the_2023_plan_keeps_a_renamed_plan_and_records_changes(db):
    from django.core.management import call_command

    call_command("load_plan_2023", verbosity=0)
    assert PlanChange.objects.count() == 0
    plan = Plan.objects.get(year=2023)
    Plan.objects.filter(pk=plan.pk).update(title=plan.title + "（修订）")
    plan.targets.filter(code="P1").update(target_value=1200)
    call_command("load_plan_2023", "--if-missing", verbosity=0)
    assert plan.targets.get(code="P1").target_value == 1200
    call_command("load_plan_2023", verbosity=0)
    assert Plan.objects.filter(year=2023).count() == 1
    assert Plan.objects.get(year=2023).title.endswith("（修订）")
    (change,) = PlanChange.objects.all()
    assert change.target_code == "P1" and change.user is None
    assert change.note == "load_plan_2023"
    assert set(change.changes) == {"target_value"}
