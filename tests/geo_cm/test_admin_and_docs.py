"""Admin pages for every model, and the OpenAPI document with its local Swagger UI."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from geo_cm.registry import registry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, roles):
    user = get_user_model().objects.create_superuser("root", password="pw-root")
    client.force_login(user)
    return client


def test_every_model_of_every_layer_has_an_admin_with_filters(admin_client_, areas):
    factories.toilet("GC-A1")
    for layer in registry.all():
        model_admin = admin.site._registry.get(layer.model)
        assert model_admin is not None, layer.slug
        assert "status" in model_admin.list_filter and "subdistrict" in model_admin.list_filter
        opts = layer.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        sub = areas["west"].pk
        response = admin_client_.get(
            url, {"status__exact": layer.status_machine.initial, "subdistrict__id__exact": sub}
        )
        assert response.status_code == 200, layer.slug
        add = admin_client_.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code == 200
        assert "leaflet" in add.content.decode(), f"{layer.slug}: no map widget"


def test_admin_status_change_respects_the_machine(admin_client_, areas):
    toilet = factories.toilet("GC-A2", status="planned")
    url = reverse("admin:toilets_toilet_change", args=[toilet.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"geom": toilet.geom.geojson, "status": "open", "name": toilet.name})
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = admin_client_.post(url, data)
    assert response.status_code == 200  # the form comes back with an error
    assert "status" in response.context["adminform"].form.errors
    toilet.refresh_from_db()
    assert toilet.status == "planned"


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/ogc/collections/{collection_id}/items" in text
    assert "'400'" in text or '"400"' in text or "400:" in text


def test_swagger_ui_is_served_from_local_static_files(client):
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
