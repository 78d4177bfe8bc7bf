"""Control characters in a file: a row error naming the field, a storable report, and no
raw database error from the bulk writer."""

import json

import pytest
from django.core.management import CommandError, call_command

from geo_cm.imports.commit import CommitError, import_commit
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.readers import source_read
from geo_cm.imports.services import import_file, layer_for_import
from geo_cm.imports.validate import import_validate
from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db

HEADER = "code,name,category,lng,lat\n"


def _csv(tmp_path, body, name="in.csv"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["a\x00b", "ab\x01\x1b[31m", "x\x0bz"])
def test_control_characters_in_text_are_a_row_error_naming_the_field(areas, tmp_path, name):
    path = _csv(tmp_path, HEADER + f"GC-1,{name},city,118.61,32.01\nGC-2,ok,city,118.62,32.01\n")
    record = import_file(layer_slug="toilets", path=path).record
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.REJECTED and record.rejected == 1
    (problem,) = record.report
    assert (problem["row"], problem["field"]) == (1, "name")
    assert problem["problem"] == "contains control characters"
    assert "\x00" not in problem["value"] and "\\x" in problem["value"]
    assert not Toilet.objects.exists()


def test_tab_newline_and_carriage_return_stay_allowed(areas, tmp_path):
    path = _csv(tmp_path, HEADER + 'GC-1,"a\tb\r\nc",city,118.61,32.01\n')
    record = import_file(layer_slug="toilets", path=path).record
    assert record.status == ImportRecord.Status.COMMITTED
    assert Toilet.objects.get().name == "a\tb\r\nc"


def test_a_nul_in_a_reported_value_leaves_a_storable_report(areas, tmp_path):
    # Duplicated codes with a NUL: the duplicate's value goes into the report (jsonb).
    path = _csv(tmp_path, HEADER + "GC\x001,a,city,118.61,32.01\nGC\x001,b,city,118.62,32.01\n")
    record = import_file(layer_slug="toilets", path=path).record
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.REJECTED
    assert {p["value"] for p in record.report} == {"GC\\x001"}
    with pytest.raises(CommandError):
        call_command("import_layer", "toilets", str(path), verbosity=0)


def test_control_characters_in_column_names_are_escaped(areas, tmp_path):
    path = _csv(tmp_path, "code,na\x00me,category,lng,lat\nGC-1,ab,city,118.61,32.01\n")
    source = source_read(path=path, workdir=tmp_path)
    assert "na\\x00me" in list(source.frame.columns)
    mapping = {"code": "code", "name": "na\\x00me", "category": "category"}
    record = import_file(layer_slug="toilets", path=path, mapping=mapping).record
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.COMMITTED
    assert record.mapping["name"] == "na\\x00me"


def test_a_driver_error_from_copy_is_a_commit_error_and_nothing_is_written(areas, tmp_path):
    # Bypass validation to reach COPY with a NUL: psycopg2's own error, not Django's.
    path = _csv(tmp_path, HEADER + "GC-1,ab,city,118.61,32.01\n")
    layer = layer_for_import(slug="toilets")
    source = source_read(path=path, workdir=tmp_path)
    validated = import_validate(
        layer=layer, source=source, mapping={"code": "code", "name": "name", "category": "category"}
    )
    validated.values["name"].iloc[0] = "a\x00b"
    validated.cells["name"][0] = "a\x00b"  # the COPY cells and lines, built during validation
    validated.lines[0] = validated.lines[0].replace("\tab\t", "\ta\x00b\t")
    record = ImportRecord.objects.create(layer="toilets", file_name="in.csv", total=1)
    with pytest.raises(CommitError, match="The database refused the import"):
        import_commit(validated=validated, record=record)
    assert not Toilet.objects.exists() and not ChangeRecord.objects.exists()


def test_codes_with_a_nul_never_reach_the_lookup_queries(areas, tmp_path):
    # A layer that holds records (the stored-code lookup runs) and a foreign-key code column.
    factories.facility("TC-9")
    mapping = {"code": "code", "facility": "facility"}

    def berths(name, *rows):
        features = [
            {
                "type": "Feature",
                "properties": {"code": code, "facility": facility},
                "geometry": {"type": "Point", "coordinates": [118.68, 32.05]},
            }
            for code, facility in rows
        ]
        path = tmp_path / name
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return import_file(layer_slug="parking-berths", path=path, mapping=mapping).record

    assert berths("first.geojson", ("BW-0", "TC-9")).created == 1
    record = berths("nul.geojson", ("BW\x001", "TC-9"), ("BW-2", "TC\x009"))
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.REJECTED and record.rejected == 2
    assert {(p["row"], p["field"], p["value"]) for p in record.report} == {
        (1, "code", "BW\\x001"),
        (2, "facility", "TC\\x009"),
    }


def test_a_mapping_naming_a_column_with_a_nul_is_refused_printably(areas, tmp_path):
    path = _csv(tmp_path, HEADER + "GC-1,ab,city,118.61,32.01\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"code": "code", "name": "na\x00me", "category": "category"}))
    with pytest.raises(CommandError, match=r"column na\\x00me,") as refused:
        call_command("import_layer", "toilets", str(path), mapping=str(mapping), verbosity=0)
    assert "\x00" not in str(refused.value)
