"""The importer's bulk shortcuts give what the general paths give: text columns, point WKB,
COPY escaping, the history written by the insert and update statements."""

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_cm.assets import copy_cells
from geo_cm.imports.services import import_file
from geo_cm.imports.validate import _as_text, _hex_wkb, _one_text
from geo_cm.models import ChangeRecord
from parking.models import Berth
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "values",
    [
        [" 甲 ", "", None, "b", float("nan"), "  "],
        [1, 22, None, 333],
        [1.0, 2.5, None, "x", True],
        [None, None],
    ],
)
def test_text_columns_read_at_once_as_one_by_one(values):
    series = pd.Series(values, dtype=object)
    assert list(_as_text(series)) == [_one_text(v) for v in values]


def test_point_wkb_packed_with_numpy_is_geos_wkb():
    points = np.array([shapely.Point(118.6, 32.05), shapely.Point(-1.5, 1e-9)], dtype=object)
    assert [w.upper() for w in _hex_wkb(points)] == list(shapely.to_wkb(points, hex=True))
    mixed = np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])], dtype=object)
    assert _hex_wkb(mixed) == list(shapely.to_wkb(mixed, hex=True))


def test_copy_cells_escape_text_and_mark_null():
    values = np.array(["a\tb", "c\\d", None, "e\nf\rg", "plain"], dtype=object)
    assert copy_cells(values, "CharField") == [
        "a\\tb",
        "c\\\\d",
        "\\N",
        "e\\nf\\rg",
        "plain",
    ]
    assert copy_cells(np.array([True, None, False], dtype=object), "BooleanField") == [
        "t",
        "\\N",
        "f",
    ]


def _feature_file(tmp_path, features, name="in.geojson"):
    path = tmp_path / name
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def _toilet(code, name, lon=118.62, lat=32.05):
    return {
        "type": "Feature",
        "properties": {"编号": code, "名称": name, "category": "city", "status": "open"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def test_awkward_text_survives_copy_and_history_is_written_in_bulk(areas, tmp_path):
    awkward = "文德路\t1号\\北侧\n(临时)"
    path = _feature_file(tmp_path, [_toilet("GC-1", awkward), _toilet("GC-2", "普通")])
    record = import_file(layer_slug="toilets", path=path).record
    assert record.created == 2
    assert Toilet.objects.get(code="GC-1").name == awkward
    created = ChangeRecord.objects.get(object_code="GC-1", action="create")
    assert created.changes["name"] == [None, awkward]
    assert created.changes["geom"][1]["coordinates"] == [118.62, 32.05]
    assert created.asset_version == 1 and created.source == f"import:{record.pk}"
    assert Toilet.objects.get(code="GC-1").subdistrict == areas["west"]

    moved = _feature_file(
        tmp_path, [_toilet("GC-1", awkward, lon=118.70), _toilet("GC-2", "普通")], "b.geojson"
    )
    again = import_file(layer_slug="toilets", path=moved).record
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    toilet = Toilet.objects.get(code="GC-1")
    assert toilet.subdistrict == areas["east"] and toilet.version == 2
    update = ChangeRecord.objects.get(object_code="GC-1", action="update")
    assert set(update.changes) == {"geom"}
    assert update.changes["geom"][0]["coordinates"][0] == 118.62
    assert update.changes["geom"][1]["coordinates"][0] == 118.70
    assert update.asset_version == 2


def test_history_of_a_foreign_key_keeps_the_related_code(areas, tmp_path):
    factories.facility("TC-9")
    path = _feature_file(
        tmp_path,
        [
            {
                "type": "Feature",
                "properties": {"code": "BW-1", "facility": "TC-9"},
                "geometry": {"type": "Point", "coordinates": [118.68, 32.05]},
            }
        ],
    )
    outcome = import_file(
        layer_slug="parking-berths", path=path, mapping={"code": "code", "facility": "facility"}
    )
    assert outcome.record.created == 1, outcome.record.report
    assert Berth.objects.get(code="BW-1").facility.code == "TC-9"
    created = ChangeRecord.objects.get(object_code="BW-1", action="create")
    assert created.changes["facility"] == [None, "TC-9"]
