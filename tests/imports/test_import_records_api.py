"""``/api/imports/<id>/records``: the records one import created or changed, for the map's
highlight; who may read them; the cap with the count and extent of all of them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from geo_cm.assets import asset_create
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.selectors import import_records_geojson
from geo_cm.imports.services import import_file
from geo_cm.registry import registry
from toilets.models import Toilet

from .conftest import toilet_frame, write_shapefile

pytestmark = pytest.mark.django_db


def _import(tmp_path, frame, name, by):
    shp = write_shapefile(frame, tmp_path / name, epsg=4326, encoding="UTF-8", cpg=True)
    record = import_file(layer_slug="toilets", path=shp, by=by).record
    assert record.status == ImportRecord.Status.COMMITTED, record.message
    return record


@pytest.fixture
def two_imports(tmp_path, areas, gis_user):
    """A toilet made by hand; import A creates GC-0001..3; import B (upsert) renames
    GC-0002, creates GC-0004 and leaves GC-0001 and GC-0003 unchanged."""
    asset_create(
        model=Toilet,
        values={"code": "GC-9999", "name": "手工录入", "category": "city", "status": "open",
                "geom": Point(118.69, 32.09, srid=4326)},
        by=gis_user,
        source="manual",
    )  # fmt: skip
    first = _import(tmp_path, toilet_frame(3), "a", gis_user)
    second_frame = toilet_frame(4)
    second_frame.loc[1, "名称"] = "浦口公厕2号（改）"
    second = _import(tmp_path, second_frame, "b", gis_user)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 2)
    return first, second


def _codes(body):
    return sorted(f["properties"]["code"] for f in body["records"]["features"])


def test_the_records_are_exactly_those_the_import_wrote(gis_client, two_imports):
    first, second = two_imports
    body = gis_client.get(f"/api/imports/{first.pk}/records").json()
    assert _codes(body) == ["GC-0001", "GC-0002", "GC-0003"]
    assert body["count"] == body["shown"] == 3
    assert body["import"]["layer"] == "toilets"
    expected = Toilet.objects.filter(code__in=_codes(body))
    ids = sorted(f["id"] for f in body["records"]["features"])
    assert ids == sorted(expected.values_list("pk", flat=True))
    # The extent is of these records (west, south, east, north), not of the layer.
    xs = [t.geom.x for t in expected]
    ys = [t.geom.y for t in expected]
    assert body["extent"] == pytest.approx([min(xs), min(ys), max(xs), max(ys)], abs=1e-6)

    body = gis_client.get(f"/api/imports/{second.pk}/records").json()
    # Created and updated, not the unchanged rows of the file, nor the hand-made record.
    assert _codes(body) == ["GC-0002", "GC-0004"]
    renamed = next(f for f in body["records"]["features"] if f["properties"]["code"] == "GC-0002")
    assert renamed["properties"]["name"] == "浦口公厕2号（改）"
    assert renamed["properties"]["status"] == "open"
    assert renamed["geometry"]["type"] == "Point"


def test_a_deleted_record_is_no_longer_highlighted(gis_client, two_imports):
    first, _second = two_imports
    Toilet.objects.filter(code="GC-0003").delete()
    body = gis_client.get(f"/api/imports/{first.pk}/records").json()
    assert _codes(body) == ["GC-0001", "GC-0002"]


def test_a_large_import_is_capped_with_the_count_and_extent_of_all(two_imports):
    first, _second = two_imports
    layer = registry.get("toilets")
    whole = import_records_geojson(record=first, layer=layer)
    capped = import_records_geojson(record=first, layer=layer, limit=2)
    assert (capped["count"], capped["shown"]) == (3, 2)
    assert [f["properties"]["code"] for f in capped["records"]["features"]] == [
        "GC-0001",
        "GC-0002",
    ]
    assert capped["extent"] == whole["extent"]


def test_a_dry_run_highlights_nothing(tmp_path, areas, gis_user, gis_client):
    shp = write_shapefile(toilet_frame(2), tmp_path / "dry", epsg=4326, encoding="UTF-8", cpg=True)
    record = import_file(layer_slug="toilets", path=shp, by=gis_user, dry_run=True).record
    body = gis_client.get(f"/api/imports/{record.pk}/records").json()
    assert (body["count"], body["shown"], body["extent"]) == (0, 0, None)


def test_who_may_read_an_imports_records(two_imports, anon_client, planner_client, roles):
    first, _second = two_imports
    url = f"/api/imports/{first.pk}/records"
    assert anon_client.get(url).status_code in (401, 403)
    # A staff reader of the layer (the planner holds view on it) may.
    assert planner_client.get(url).status_code == 200
    # A signed-in user with no role: the layer is public, the import is not theirs.
    nobody = APIClient()
    nobody.force_authenticate(get_user_model().objects.create_user(username="nobody"))
    response = nobody.get(url)
    assert response.status_code == 404
    assert "features" not in response.content.decode()
    assert planner_client.get("/api/imports/999999/records").status_code == 404
    assert planner_client.get(url + "?limit=1").status_code == 400


def test_the_api_caps_at_the_setting(gis_client, two_imports, settings):
    first, _second = two_imports
    settings.GEOCM = {**settings.GEOCM, "IMPORT_HIGHLIGHT_LIMIT": 1}
    body = gis_client.get(f"/api/imports/{first.pk}/records").json()
    assert (body["count"], body["shown"], _codes(body)) == (3, 1, ["GC-0001"])
