"""The Pukou demo dataset: deterministic, inside the real outline, plausible counts."""

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pyogrio
import pytest
from django.core.management import call_command
from django.db import connection, transaction

from geo_cm.demo import DEMO_SOURCE, REFERENCE_TIME, build_assets, load_areas, load_assets
from geo_cm.demo.common import SHANGHAI
from geo_cm.demo.readings import load_readings
from geo_cm.models import ChangeRecord, District, Subdistrict
from geo_cm.plans.models import Plan, ReportedValue
from geo_cm.plans.selectors import plan_progress
from greenways.models import Route, Segment
from parking.models import Berth, Facility, OccupancyReport, SharingWindow
from streets.models import BackAlleyProject, LightingRetrofit, Road, StreetLight
from toilets.models import Toilet

ASSET_MODELS = (
    Road,
    StreetLight,
    LightingRetrofit,
    BackAlleyProject,
    Facility,
    Berth,
    Toilet,
    Segment,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, rolled back afterwards (nothing persists)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_areas()
        load_assets(seed=2023)
        yield
        transaction.set_rollback(True)


def _db_fingerprint() -> str:
    """SHA-256 over every demo asset's model, code and geometry (WKB), in code order."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in ASSET_MODELS:
            cursor.execute(
                f"SELECT code, md5(ST_AsBinary(geom)) FROM {model._meta.db_table} "
                "WHERE source = %s ORDER BY code",
                [DEMO_SOURCE],
            )
            for code, geom_md5 in cursor.fetchall():
                digest.update(f"{model._meta.label}|{code}|{geom_md5}\n".encode())
    return digest.hexdigest()


def _built_fingerprint(seed: int) -> str:
    digest = hashlib.sha256()
    for model, rows in build_assets(seed).rows.items():
        for i, row in enumerate(rows):
            code = getattr(row, "code", i)
            wkb = bytes(row.geom.wkb).hex() if hasattr(row, "geom") else ""
            digest.update(f"{model._meta.label}|{code}|{wkb}\n".encode())
    return digest.hexdigest()


def test_generation_is_deterministic_and_needs_no_database():
    assert _built_fingerprint(2023) == _built_fingerprint(2023)
    assert _built_fingerprint(2023) != _built_fingerprint(7)


@pytest.mark.django_db
def test_force_reload_gives_the_same_records_and_spares_others(demo):
    before = _db_fingerprint()
    manual = Toilet.objects.create(
        code="MANUAL-1",
        name="手工录入公厕",
        category="city",
        status="open",
        geom=Toilet.objects.first().geom,
    )
    out = io.StringIO()
    call_command("load_demo", "--force", stdout=out)
    assert "Loaded Pukou demo data (synthetic" in out.getvalue()
    assert _db_fingerprint() == before
    assert Toilet.objects.filter(pk=manual.pk).exists()
    assert Subdistrict.objects.count() == 9 and District.objects.count() == 1


@pytest.mark.django_db
def test_if_empty_does_nothing_when_a_district_exists(demo):
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert out.getvalue().count("\n") == 1
    assert "not loaded" in out.getvalue()
    assert Road.objects.count() == Road.objects.filter(source=DEMO_SOURCE).count()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ASSET_MODELS, ids=lambda m: m._meta.label)
def test_every_asset_lies_inside_the_district_and_has_a_subdistrict(demo, model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*),
                       count(*) FILTER (WHERE t.subdistrict_id IS NULL),
                       count(*) FILTER (WHERE NOT ST_Within(t.geom, d.geom)),
                       count(*) FILTER (WHERE NOT ST_IsValid(t.geom))
                FROM {table} t, geo_cm_district d WHERE d.code = '320111'"""
        )
        total, no_subdistrict, outside, invalid = cursor.fetchone()
    assert total > 0
    assert (no_subdistrict, outside, invalid) == (0, 0, 0)


@pytest.mark.django_db
def test_subdistricts_partition_the_district(demo):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT ST_Area(d.geom::geography),
                      (SELECT sum(ST_Area(s.geom::geography)) FROM geo_cm_subdistrict s),
                      (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
                       FROM geo_cm_subdistrict a JOIN geo_cm_subdistrict b
                       ON a.id < b.id AND ST_Intersects(a.geom, b.geom)),
                      (SELECT bool_and(ST_IsValid(geom)
                                       AND GeometryType(geom) = 'MULTIPOLYGON')
                       FROM geo_cm_subdistrict)
               FROM geo_cm_district d WHERE d.code = '320111'"""
        )
        district_m2, parts_m2, overlap_m2, all_valid = cursor.fetchone()
    assert abs(parts_m2 - district_m2) / district_m2 < 0.001
    assert overlap_m2 < 1.0
    assert all_valid
    assert 905e6 < district_m2 < 915e6  # the Amap outline: 910.1 km² in UTM 50N
    subdistricts = {s.name: s for s in Subdistrict.objects.all()}
    assert len(subdistricts) == 9
    assert all(s.geometry_is_synthetic for s in subdistricts.values())
    assert subdistricts["泰山街道"].code == "320192007000"
    assert subdistricts["泰山街道"].code_old == "320111001000"
    assert subdistricts["江浦街道"].name_en == "Jiangpu Subdistrict"
    assert "910.1 km²" in District.objects.get().boundary_source


@pytest.mark.django_db
def test_counts_are_in_the_expected_ranges(demo):
    demo_rows = {m: m.objects.filter(source=DEMO_SOURCE) for m in ASSET_MODELS}
    assert 190 <= demo_rows[Road].count() <= 210
    classes = {
        c: demo_rows[Road].filter(road_class=c).count()
        for c in ("main", "secondary", "branch", "alley")
    }
    assert classes["main"] >= 12 and classes["branch"] > classes["secondary"] > classes["main"]
    lights = demo_rows[StreetLight]
    assert 2800 <= lights.count() <= 3200
    assert 0.5 <= lights.filter(lamp_type="led").count() / lights.count() <= 0.7
    assert 0.02 <= lights.filter(status="fault").count() / lights.count() <= 0.045
    assert lights.filter(road__isnull=True).count() == 0

    retrofits = demo_rows[LightingRetrofit]
    assert retrofits.count() == 45
    assert retrofits.values("road").distinct().count() == 45
    assert 28 <= retrofits.filter(status="completed", completed_on__year=2023).count() <= 32
    assert not retrofits.filter(status="completed", completed_on__isnull=True).exists()
    assert 12 == demo_rows[BackAlleyProject].count()
    assert 3 == demo_rows[BackAlleyProject].filter(boutique=True).count()

    facilities = demo_rows[Facility]
    assert 55 <= facilities.count() <= 65
    capacity = sum(facilities.values_list("total_berths", flat=True))
    assert 3800 <= capacity <= 4400
    opened_2023 = sum(
        facilities.filter(opened_on__year=2023).values_list("total_berths", flat=True)
    )
    assert 900 <= opened_2023 <= 1100
    assert 3500 <= demo_rows[Berth].count() <= 4400
    # Every known kind and ownership ("unknown" is for imports that do not say).
    assert {k for (k,) in facilities.values_list("kind").distinct()} == set(
        Facility.Kind.values
    ) - {"unknown"}
    assert {o for (o,) in facilities.values_list("ownership").distinct()} == set(
        Facility.Ownership.values
    ) - {"unknown"}
    for facility in facilities.filter(status="open"):
        kinds = list(facility.berths.values_list("kind", flat=True))
        assert len(kinds) == facility.total_berths
        assert kinds.count("ev") == facility.ev_berths
        assert kinds.count("accessible") == facility.accessible_berths

    toilets = demo_rows[Toilet]
    assert 140 <= toilets.count() <= 160
    assert {c for (c,) in toilets.values_list("category").distinct()} == set(
        Toilet.Category.values
    ) - {"unknown"}
    assert 10 <= toilets.filter(completed_on__year=2023).count() <= 12

    segments = demo_rows[Segment]
    km = {
        s: sum(segments.filter(status=s).values_list("length_m", flat=True)) / 1000
        for s in ("completed", "under_construction", "planned")
    }
    assert 17 <= sum(km.values()) <= 23 and all(km.values())
    assert 13 <= km["completed"] <= 17
    km_2023 = sum(segments.filter(completed_on__year=2023).values_list("length_m", flat=True))
    assert 8 <= km_2023 / 1000 <= 12
    assert Route.objects.count() >= 3


@pytest.mark.django_db
def test_sharing_windows_include_overnight_and_weekend_ones(demo):
    windows = list(SharingWindow.objects.select_related("facility"))
    assert len(windows) == 20
    assert len({w.facility_id for w in windows}) == 14
    assert any(w.crosses_midnight for w in windows)
    assert any(set(w.weekdays) == {6, 7} and not w.crosses_midnight for w in windows)
    assert any(w.valid_from and w.valid_from.year == 2023 for w in windows)
    # Entered shortly before taking effect (the shared-parking metric counts by it).
    for w in windows:
        entered = w.created_at.astimezone(SHANGHAI)
        assert entered.date() <= w.valid_from and entered.year == w.valid_from.year
        assert (w.valid_from - entered.date()).days <= 23 and 9 <= entered.hour <= 17
    for w in windows:
        assert w.weekdays and w.start_time != w.end_time
        assert 0 < w.berths_shared <= w.facility.total_berths
        assert w.facility.ownership in ("institution", "commercial")


@pytest.mark.django_db
def test_occupancy_reports_are_fixed_in_time_and_within_capacity(demo):
    reports = list(OccupancyReport.objects.select_related("facility"))
    assert len(reports) == 100
    for r in reports:
        assert REFERENCE_TIME - dt.timedelta(days=4) < r.observed_at <= REFERENCE_TIME
        assert 0 <= r.free_berths <= r.facility.total_berths


@pytest.mark.django_db
def test_records_pass_model_validation_and_have_history(demo):
    for model in ASSET_MODELS:
        rows = list(model.objects.filter(source=DEMO_SOURCE).order_by("pk"))
        # Every row of the small layers; every 25th of street lights and berths.
        for row in rows[:: 25 if len(rows) > 1000 else 1]:
            row.full_clean()
        history = ChangeRecord.objects.filter(
            content_type__model=model._meta.model_name, action="create", source=DEMO_SOURCE
        )
        assert history.count() == len(rows)
    for window in SharingWindow.objects.all():
        window.full_clean()


@pytest.mark.django_db
def test_export_shapefiles_writes_utf8_wgs84_with_a_field_map(demo, tmp_path):
    call_command(
        "export_shapefiles", "--out", str(tmp_path), "--omit", "updated_at", stdout=io.StringIO()
    )
    for slug in ("roads", "street-lights", "parking-berths", "toilets", "subdistricts"):
        shp = tmp_path / f"{slug}.shp"
        assert shp.with_suffix(".cpg").read_text().strip() == "UTF-8"
        info = pyogrio.read_info(shp)
        assert info["crs"] == "EPSG:4326"
        with Path(tmp_path / f"{slug}.fields.csv").open(encoding="utf-8") as fh:
            mapping = {row["shapefile_field"]: row["model_field"] for row in csv.DictReader(fh)}
        assert list(mapping) == list(info["fields"])
        assert all(len(name) <= 10 for name in mapping)
    toilets = pyogrio.read_dataframe(tmp_path / "toilets.shp")
    assert toilets["name"].str.endswith(("公厕", "厕所")).all()
    assert len(toilets) == Toilet.objects.count()
    lights = pyogrio.read_dataframe(tmp_path / "street-lights.shp", columns=["road"])
    assert lights["road"].str.startswith("DL-").all()


@pytest.mark.django_db
def test_every_asset_target_of_the_2023_plan_has_an_actual_on_the_demo(demo):
    call_command("load_plan_2023", verbosity=0)
    plan = Plan.objects.get(year=2023)
    progress = plan_progress(plan=plan, today=dt.date(2023, 12, 31))
    actuals = {t["code"]: t["actual"] for t in progress if t["kind"] == "metric"}
    assert set(actuals) == {"P1", "P2", "T1", "A1", "A2", "G1", "L1"}
    assert all(value and value > 0 for value in actuals.values()), actuals
    # Judged mid-year, only the records dated by then count, and the count has begun.
    june = {
        t["code"]: t["actual"]
        for t in plan_progress(plan=plan, today=dt.date(2023, 6, 30))
        if t["kind"] == "metric"
    }
    assert all(june[code] <= actuals[code] for code in actuals)


def test_reported_indicators_have_labelled_synthetic_readings_and_staff_ones_survive(demo):
    call_command("load_plan_2023", verbosity=0)
    assert load_readings(seed=2023) == 36
    assert load_readings(seed=2023) == 0  # only indicators without readings get them
    plan = Plan.objects.get(year=2023)
    reported = plan.targets.filter(kind="reported")
    assert reported.count() == 9
    for target in reported:
        readings = list(target.readings.order_by("measured_on"))
        assert [r.measured_on.month for r in readings] == [3, 6, 9, 12], target.code
        assert all("合成" in r.evidence and "演示" in r.scope for r in readings)
        assert all(0 < r.value <= 100 for r in readings)
    progress = {t["code"]: t for t in plan_progress(plan=plan, today=dt.date(2023, 12, 31))}
    assert all(progress[t.code]["status"] != "no_data" for t in reported)
    # A staff reading is not demo data: --force keeps it and rebuilds only the synthetic ones.
    staff = ReportedValue.objects.create(
        target=reported.get(code="R1"), value=99, measured_on=dt.date(2023, 12, 15)
    )
    demo_readings = sorted(
        ReportedValue.objects.exclude(pk=staff.pk).values_list(
            "target__code", "measured_on", "value"
        )
    )
    call_command("load_demo", "--force", stdout=io.StringIO())
    assert ReportedValue.objects.filter(pk=staff.pk).exists()
    # R1 has a staff reading now, so the demo leaves it alone; the others are rebuilt alike.
    rebuilt = sorted(
        ReportedValue.objects.exclude(pk=staff.pk).values_list(
            "target__code", "measured_on", "value"
        )
    )
    assert rebuilt == [r for r in demo_readings if r[0] != "R1"]
    staff.delete()
    call_command("load_demo", "--force", stdout=io.StringIO())
    assert sorted(ReportedValue.objects.values_list("target__code", "measured_on", "value")) == (
        demo_readings
    )


def test_each_app_builds_its_own_demo_records_in_demo_order():
    from geo_cm.demo.assets import demo_modules

    names = [m.__name__ for m in demo_modules()]
    assert names == [
        "streets.demo",
        "parking.demo",
        "toilets.demo",
        "greenways.demo",
        "geo_cm.demo.population",
        "workorders.demo",  # placed among the records and people written before it
    ]
    # The core's demo package names no domain app (no import, no "app.Model" label).
    core = Path(__file__).resolve().parents[2] / "geo_cm" / "demo"
    named = re.compile(r"(?:from|import)\s+(?:streets|parking|toilets|greenways)\b"
                       r"|[\"'](?:streets|parking|toilets|greenways)\.")  # fmt: skip
    for source in core.glob("*.py"):
        assert not named.search(source.read_text(encoding="utf-8")), source.name
