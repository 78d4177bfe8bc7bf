"""Backup and restore round trip: an asset, a photo and an import come back as they were.

`manage.py backup` and `manage.py restore` run as separate processes, the way an operator
runs them, against the test database and a fresh database made in the same cluster.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from PIL import Image

from geo_cm import services
from geo_cm.models import ChangePhoto
from geo_cm.photos import photo_check
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)

GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": f"GC-BK{i}", "name": f"备份公厕{i}", "category": "city"},
            "geometry": {"type": "Point", "coordinates": [118.61 + i / 1000, 32.05]},
        }
        for i in range(3)
    ],
}


def _url(name):
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{name}"


def _manage(*args, database, media, check=True):
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "GEOCM_MEDIA_ROOT": str(media),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _counts(database):
    s = connection.settings_dict
    conn = psycopg2.connect(
        host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"], dbname=database
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys' ORDER BY 1"
            )
            counts = {}
            for (table,) in cursor.fetchall():
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        conn.close()


@pytest.fixture
def empty_database():
    name = f"geocm_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def installation(areas, settings, tmp_path):
    """Changes an operator would lose: an asset with a photo of a change, and an import."""
    settings.MEDIA_ROOT = tmp_path / "media"
    toilet = factories.toilet("GC-BACKUP")
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, "JPEG")
    photo = photo_check(data=buffer.getvalue(), declared_sha256=None, index=0)
    services.asset_set_status(
        asset=toilet, status="closed_for_repair", by=None, note="door broken", photos=[photo]
    )
    geojson = tmp_path / "toilets.geojson"
    geojson.write_text(json.dumps(GEOJSON), encoding="utf-8")
    _manage(
        "import_layer",
        "toilets",
        str(geojson),
        database=connection.settings_dict["NAME"],
        media=settings.MEDIA_ROOT,
    )
    stored = ChangePhoto.objects.get()
    return {
        "media": settings.MEDIA_ROOT,
        "photo": Path(stored.image.path).relative_to(settings.MEDIA_ROOT),
        "photo_sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
    }


def test_backup_then_restore_into_a_fresh_database_gives_the_same_rows_and_photo(
    installation, empty_database, tmp_path
):
    source = connection.settings_dict["NAME"]
    archive = tmp_path / "geocm.tar"
    out = _manage(
        "backup", "--output", str(archive), database=source, media=installation["media"]
    ).stdout
    assert "1 media file(s)" in out

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["schema_version"]["geo_cm"].startswith("00")
    assert manifest["database"]["row_counts"]["toilets_toilet"] == 4

    restored_media = tmp_path / "restored-media"
    out = _manage("restore", str(archive), database=empty_database, media=restored_media).stdout
    assert "The schema matches this code." in out

    connection.close()
    assert _counts(empty_database) == _counts(source)
    assert _counts(empty_database)["toilets_toilet"] == 4
    restored_photo = restored_media / installation["photo"]
    assert hashlib.sha256(restored_photo.read_bytes()).hexdigest() == installation["photo_sha256"]


def test_restore_refuses_a_database_with_data_and_changes_nothing(installation, tmp_path):
    source = connection.settings_dict["NAME"]
    archive = tmp_path / "geocm.tar"
    _manage("backup", "--output", str(archive), database=source, media=installation["media"])
    before = _counts(source)
    result = _manage(
        "restore", str(archive), database=source, media=installation["media"], check=False
    )
    assert result.returncode != 0
    assert "already hold data" in result.stderr and "--force" in result.stderr
    connection.close()
    assert _counts(source) == before


def test_a_damaged_archive_is_refused_before_anything_changes(
    installation, empty_database, tmp_path
):
    archive = tmp_path / "geocm.tar"
    _manage(
        "backup",
        "--output",
        str(archive),
        database=connection.settings_dict["NAME"],
        media=installation["media"],
    )
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            dst.addfile(member, io.BytesIO(data))
    result = _manage(
        "restore", str(damaged), database=empty_database, media=tmp_path / "m2", check=False
    )
    assert result.returncode != 0
    assert "does not match its checksum" in result.stderr
    assert str(installation["photo"]) in result.stderr
    connection.close()
    assert _counts(empty_database) == {}
    assert not (tmp_path / "m2").exists()
