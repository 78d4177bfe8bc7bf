"""What another writer did before the rows are written is judged again by the bulk writer
under the table lock: nothing is skipped or written past the rules silently."""

import pytest

from geo_cm.assets import BulkWrite
from geo_cm.imports.commit import CommitError
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.services import import_file
from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

from .conftest import toilet_frame, write_shapefile

pytestmark = pytest.mark.django_db

MAPPING = {"code": "编号", "name": "名称", "category": "category"}


def _meanwhile(monkeypatch, action, *, step="add"):
    """Run ``action`` just before the bulk writer's ``step``: "begin" (another writer got in
    before the import's lock) or "add" (after the rows were validated, just before they are
    written; in a single test transaction the action cannot wait for the lock)."""
    real = getattr(BulkWrite, step)

    def racing(self, *args, **kwargs):
        action()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BulkWrite, step, racing)


def test_create_mode_refuses_a_code_created_after_validation(areas, tmp_path, monkeypatch):
    shp = write_shapefile(toilet_frame(3), tmp_path / "shp")
    _meanwhile(monkeypatch, lambda: factories.toilet(code="GC-0002", name="someone else's"))
    with pytest.raises(CommitError, match="GC-0002 already exists"):
        import_file(layer_slug="toilets", path=shp, mode="create", mapping=MAPPING)
    # The other writer ran inside the import's transaction here, so it went with it.
    assert not Toilet.objects.exists()
    assert not ChangeRecord.objects.filter(source__startswith="import:").exists()
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.FAILED and "GC-0002" in record.message


def test_upsert_updates_a_code_created_before_the_lock(areas, tmp_path, monkeypatch):
    shp = write_shapefile(toilet_frame(3), tmp_path / "shp")
    _meanwhile(
        monkeypatch, lambda: factories.toilet(code="GC-0002", name="someone else's"), step="begin"
    )
    record = import_file(layer_slug="toilets", path=shp, mode="upsert", mapping=MAPPING).record
    assert (record.created, record.updated) == (2, 1)
    assert Toilet.objects.count() == 3


def test_upsert_judges_status_changes_from_the_status_stored_at_commit(
    areas, tmp_path, monkeypatch
):
    frame = toilet_frame(2)
    frame["status"] = "closed_for_repair"
    shp = write_shapefile(frame, tmp_path / "shp")
    mapping = {**MAPPING, "status": "status"}
    factories.toilet(code="GC-0001", status="open")
    # Removed meanwhile: removed -> closed for repair is not a transition the machine allows.
    _meanwhile(monkeypatch, lambda: Toilet.objects.filter(code="GC-0001").update(status="removed"))
    with pytest.raises(CommitError, match="GC-0001 is now removed"):
        import_file(layer_slug="toilets", path=shp, mode="upsert", mapping=mapping)
    assert Toilet.objects.get().status == "open"  # nothing written (the change went with it)


def test_a_generated_code_taken_before_the_write_refuses_the_import(areas, tmp_path, monkeypatch):
    frame = toilet_frame(2).drop(columns=["编号"])
    shp = write_shapefile(frame, tmp_path / "shp")
    factories.toilet(code="OLD-1", lon=118.69, lat=32.09)
    _meanwhile(monkeypatch, lambda: factories.toilet(code="GC-JP-0001", name="meanwhile"))
    with pytest.raises(CommitError, match="GC-JP-0001, generated when the file was checked"):
        import_file(layer_slug="toilets", path=shp, mode="upsert", mapping={"name": "名称"})
    assert list(Toilet.objects.values_list("code", flat=True)) == ["OLD-1"]
