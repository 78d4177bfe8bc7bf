"""The admin in words: labels not codes, local times, the reason of a change, GeoCM's name."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from geo_cm.models import ChangeRecord
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, roles):
    user = get_user_model().objects.create_superuser("root", password="pw-root")
    client.force_login(user)
    return client


def change_form_data(client, url, toilet, **changes):
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"geom": toilet.geom.geojson, "name": toilet.name, **changes})
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_an_invalid_status_change_is_refused_in_labels(admin_client_, areas):
    toilet = factories.toilet("GC-L1", status="planned")
    url = reverse("admin:toilets_toilet_change", args=[toilet.pk])
    response = admin_client_.post(url, change_form_data(admin_client_, url, toilet, status="open"))
    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.errors["status"])
    assert error == "状态不能从“规划中”改为“开放”。“规划中”之后只能改为：在建、已拆除。", error
    assert "planned" not in error and "under_construction" not in error


def test_the_reason_is_kept_and_history_reads_local_time_before_and_after(admin_client_, areas):
    toilet = factories.toilet("GC-L2", status="planned")
    url = reverse("admin:toilets_toilet_change", args=[toilet.pk])
    data = change_form_data(
        admin_client_, url, toilet, status="under_construction", change_note="按年度计划开工"
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = ChangeRecord.objects.get(object_code="GC-L2", action__in=["status", "update"])
    assert record.note == "按年度计划开工" and record.changes["status"] == [
        "planned",
        "under_construction",
    ]
    page = text(admin_client_.get(url))
    local = timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M")
    utc = record.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    assert f"<b>{local}</b>" in page and "状态: 规划中 → 在建" in page and "按年度计划开工" in page
    assert local == utc or f"<b>{utc}</b>" not in page  # no UTC time beside the local one
    # The change record's own page: before -> after in labels, too.
    detail = text(admin_client_.get(reverse("admin:geo_cm_changerecord_change", args=[record.pk])))
    assert "状态: 规划中 → 在建" in detail


def test_the_header_names_geocm_not_django(admin_client_):
    page = text(admin_client_.get(reverse("admin:index")))
    assert "GeoCM 管理" in page
    assert "Django 管理" not in page and "Django administration" not in page


def test_change_records_filter_by_asset_layer_only(admin_client_, areas):
    factories.toilet("GC-L3")
    factories.light("LD-L3")
    url = reverse("admin:geo_cm_changerecord_changelist")
    page = text(admin_client_.get(url))
    filters = re.findall(r'href="\?layer=([\w-]+)"', page)
    assert "toilets" in filters and "street-lights" in filters
    for other in ("会话", "权限", "session", "permission", "log entry", "日志记录"):
        assert f">{other}<" not in page.lower()
    only_toilets = admin_client_.get(url, {"layer": "toilets"})
    codes = {r.object_code for r in only_toilets.context["cl"].result_list}
    assert codes == {"GC-L3"}
