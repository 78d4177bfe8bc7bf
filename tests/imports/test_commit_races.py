"""What another writer does between validation and the commit's table lock is judged again
under the lock: nothing is skipped or written past the rules silently."""

import pytest

from geo_cm.imports import services
from geo_cm.imports.commit import CommitError
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.services import import_file
from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

from .conftest import toilet_frame, write_shapefile

pytestmark = pytest.mark.django_db

MAPPING = {"code": "编号", "name": "名称", "category": "category"}


def _meanwhile(monkeypatch, action):
    """Run ``action`` after validation, just before the commit (another writer)."""
    real = services.import_commit

    def racing(**kwargs):
        action()
        return real(**kwargs)

    monkeypatch.setattr(services, "import_commit", racing)


def test_create_mode_refuses_a_code_created_after_validation(areas, tmp_path, monkeypatch):
    shp = write_shapefile(toilet_frame(3), tmp_path / "shp")
    _meanwhile(monkeypatch, lambda: factories.toilet(code="GC-0002", name="someone else's"))
    with pytest.raises(CommitError, match="GC-0002 already exists"):
        import_file(layer_slug="toilets", path=shp, mode="create", mapping=MAPPING)
    assert list(Toilet.objects.values_list("code", flat=True)) == ["GC-0002"]
    assert Toilet.objects.get().name == "someone else's"
    assert not ChangeRecord.objects.filter(source__startswith="import:").exists()
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.FAILED and "GC-0002" in record.message


def test_upsert_still_updates_a_code_created_after_validation(areas, tmp_path, monkeypatch):
    shp = write_shapefile(toilet_frame(3), tmp_path / "shp")
    _meanwhile(monkeypatch, lambda: factories.toilet(code="GC-0002", name="someone else's"))
    record = import_file(layer_slug="toilets", path=shp, mode="upsert", mapping=MAPPING).record
    assert (record.created, record.updated) == (2, 1)
    assert Toilet.objects.count() == 3


def test_upsert_judges_status_changes_from_the_status_stored_at_commit(
    areas, tmp_path, monkeypatch
):
    frame = toilet_frame(2)
    frame["status"] = "open"
    shp = write_shapefile(frame, tmp_path / "shp")
    mapping = {**MAPPING, "status": "status"}
    # Created meanwhile as removed: removed -> open is not a transition the machine allows.
    _meanwhile(monkeypatch, lambda: factories.toilet(code="GC-0001", status="removed"))
    with pytest.raises(CommitError, match="GC-0001 is now removed"):
        import_file(layer_slug="toilets", path=shp, mode="upsert", mapping=mapping)
    assert Toilet.objects.get().status == "removed"
    assert Toilet.objects.count() == 1
