"""Backups of a GeoCM installation: the database and the media files, in one archive.

An archive (`manage.py backup`, `make backup`) is a tar file holding
- ``manifest.json``: when and by which GeoCM it was made, the PostgreSQL and PostGIS
  versions, the schema version (the newest applied migration of each app), the row count
  of every table, and the SHA-256 of every other member;
- ``database.dump``: ``pg_dump --format=custom`` of the whole database (one consistent
  snapshot, taken while the platform keeps running);
- ``media/...``: uploaded files (photos of changes), as they are under MEDIA_ROOT.

`manage.py restore` checks every checksum before it touches anything, refuses a database
or media folder that already holds data unless told to replace it, restores the database
in one transaction (all or nothing) and puts the media folder in place.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "geocm-backup/1"
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media/"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """The PostgreSQL client ``name`` (pg_dump, psql...) of the server's major version or newer.

    Debian keeps each major in /usr/lib/postgresql/N/bin; an older pg_dump refuses a newer
    server, so the newest installed major not older than the server's wins.
    """
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    base = Path("/usr/lib/postgresql")
    majors = sorted(
        (int(p.name) for p in base.iterdir() if p.name.isdigit()) if base.is_dir() else [],
        reverse=True,
    )
    for major in majors:
        candidate = base / str(major) / "bin" / name
        if major >= server_major and candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} (PostgreSQL {server_major} or newer) is not installed: install the package "
        f"postgresql-client-{server_major} and run the command again."
    )


def _libpq_env() -> dict:
    """Connection settings for the PostgreSQL command-line tools, from Django's database."""
    s = connection.settings_dict
    env = {**os.environ}
    env.update(
        PGHOST=s["HOST"] or "",
        PGPORT=str(s["PORT"] or ""),
        PGUSER=s["USER"] or "",
        PGPASSWORD=s["PASSWORD"] or "",
        PGDATABASE=s["NAME"],
    )
    return {k: v for k, v in env.items() if v != "" or not k.startswith("PG")}


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, env=_libpq_env(), **kwargs)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(cmd[0]).name} failed: {message[-1] if message else 'no message'}")
    return result


def schema_version() -> dict[str, str]:
    """The newest applied migration of each app (what a restore must be migrated from)."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    newest: dict[str, str] = {}
    for app, name in sorted(loader.applied_migrations):
        newest[app] = max(newest.get(app, ""), name)
    return newest


def code_schema_version() -> dict[str, str]:
    """The newest migration of each app in this code (leaf nodes of the migration graph)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {app: name for app, name in sorted(loader.graph.leaf_nodes())}


def table_row_counts() -> dict[str, int]:
    """Exact row counts of the tables in the public schema (PostGIS's own left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalogue names
            counts[table] = cursor.fetchone()[0]
    return counts


def _media_files(media_root: Path):
    if not media_root.is_dir():
        return
    for path in sorted(media_root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def backup_create(*, output: Path, media_root: Path | None = None, say=print) -> dict:
    """Write a backup archive to ``output``; returns its manifest."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), postgis_full_version()")
        pg_version, postgis_version = cursor.fetchone()
    with tempfile.TemporaryDirectory(prefix="geocm-backup-") as scratch:
        dump = Path(scratch) / DUMP_NAME
        say("dumping the database (pg_dump, custom format)")
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(dump)])
        members = {DUMP_NAME: {"size": dump.stat().st_size, "sha256": _sha256(dump)}}
        media = list(_media_files(media_root))
        say(f"adding {len(media)} media file(s) from {media_root}")
        for path in media:
            name = MEDIA_PREFIX + path.relative_to(media_root).as_posix()
            members[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "created_at_local": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S %Z"),
            "database": {
                "name": connection.settings_dict["NAME"],
                "server": pg_version,
                "postgis": postgis_version,
                "schema_version": schema_version(),
                "row_counts": table_row_counts(),
            },
            "members": members,
        }
        partial = output.with_name(output.name + ".partial")
        # The archive holds password hashes and citizens' data: readable by its owner only.
        partial.touch(mode=0o600)
        os.chmod(partial, 0o600)
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            archive.addfile(info, _BytesReader(data))
            archive.add(dump, arcname=DUMP_NAME)
            for path in media:
                archive.add(path, arcname=MEDIA_PREFIX + path.relative_to(media_root).as_posix())
        partial.replace(output)  # a half-written archive never carries the final name
    return manifest


class _BytesReader:
    def __init__(self, data: bytes):
        self._data, self._pos = data, 0

    def read(self, size=-1):
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk


@dataclass
class RestoreReport:
    tables: int
    rows: int
    media_files: int
    schema_note: str


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _read_archive(path: Path, scratch: Path) -> dict:
    """Unpack and verify the archive into ``scratch``; returns the manifest."""
    try:
        archive = tarfile.open(path, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a GeoCM backup archive (tar): {exc}") from exc
    with archive:
        names = archive.getnames()
        if MANIFEST_NAME not in names:
            raise BackupError(f"{path} holds no {MANIFEST_NAME}: it is not a GeoCM backup.")
        manifest = json.load(archive.extractfile(MANIFEST_NAME))
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"{path} is a backup of format {manifest.get('format')!r}; "
                f"this GeoCM reads {FORMAT!r}."
            )
        for member in archive.getmembers():
            if member.name == MANIFEST_NAME:
                continue
            if not member.isfile() or not _safe_member(member.name):
                raise BackupError(f"{path} holds an unexpected entry {member.name!r}: refused.")
            if member.name not in manifest["members"]:
                raise BackupError(f"{member.name} is in the archive but not in its manifest.")
            # Regular files with relative, ".."-free names only (checked above): safe to
            # extract on Pythons without tarfile's extraction filters (Debian 12's 3.11.2).
            archive.extract(member, scratch)
    for name, expected in manifest["members"].items():
        file = scratch / name
        if not file.is_file():
            raise BackupError(f"{name} is listed in the manifest but missing from {path}.")
        if _sha256(file) != expected["sha256"]:
            raise BackupError(
                f"{name} in {path} does not match its checksum: the archive is damaged. "
                "Nothing was restored; take another copy of the backup."
            )
    return manifest


# Filled by `migrate` alone: a freshly migrated database holds no data of anyone's.
MIGRATE_BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}


def _database_holds_data() -> int:
    """How many tables hold rows (0 for an empty, or only just migrated, database)."""
    return sum(
        1
        for table, count in table_row_counts().items()
        if count and table not in MIGRATE_BOOKKEEPING
    )


def _schema_note(manifest) -> str:
    archived = manifest["database"]["schema_version"]
    code = code_schema_version()
    newer = sorted(app for app, name in archived.items() if name > code.get(app, ""))
    if newer:
        raise BackupError(
            "The backup was made by a newer GeoCM (migrations of "
            f"{', '.join(newer)} unknown to this code): upgrade the code first, then restore."
        )
    older = sorted(app for app, name in code.items() if archived.get(app, "") < name)
    if older:
        return (
            "The backup's schema is older than this code: run `manage.py migrate` "
            f"(apps with newer migrations: {', '.join(older)})."
        )
    return "The schema matches this code."


def backup_restore(
    *, archive: Path, media_root: Path | None = None, replace: bool = False, say=print
) -> RestoreReport:
    """Restore an archive into this database and media folder.

    Refuses (BackupError, nothing changed) a damaged archive, a backup from a newer GeoCM,
    and, unless ``replace``, a database with rows or a media folder with files. The
    database is restored in one transaction; replaced media files are kept aside as
    ``<media>.replaced-<time>``.
    """
    media_root = Path(media_root or settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    archive = Path(archive)
    # Unpacked beside the media folder, so that putting it in place is a rename.
    with tempfile.TemporaryDirectory(prefix="geocm-restore-", dir=media_root.parent) as scratch:
        scratch = Path(scratch)
        say(f"checking {archive}")
        manifest = _read_archive(archive, scratch)
        note = _schema_note(manifest)
        holding = _database_holds_data()
        has_media = any(True for _ in _media_files(media_root))
        if (holding or has_media) and not replace:
            what = []
            if holding:
                what.append(f"the database {connection.settings_dict['NAME']} ({holding} tables)")
            if has_media:
                what.append(f"the media folder {media_root}")
            raise BackupError(
                f"{' and '.join(what)} already hold data: restoring would replace it. "
                "Restore into an empty database and media folder, or add --force "
                "(FORCE=1 with make) to replace them."
            )
        say("restoring the database in one transaction")
        script = _run(
            [pg_tool("pg_restore"), "--no-owner", "--file=-", str(scratch / DUMP_NAME)]
        ).stdout
        prologue = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
        connection.close()  # psql must not wait on our own open transaction's locks
        _run(
            [pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"],
            input=prologue + script,
        )
        restored_media = scratch / MEDIA_PREFIX.rstrip("/")
        count = sum(1 for _ in _media_files(restored_media))
        if restored_media.is_dir() or has_media:
            if media_root.exists() and any(media_root.iterdir()):
                aside = media_root.with_name(
                    f"{media_root.name}.replaced-{timezone.now():%Y%m%d%H%M%S}"
                )
                media_root.rename(aside)
                say(f"the media folder's previous files are kept in {aside}")
            elif media_root.exists():
                media_root.rmdir()
            if restored_media.is_dir():
                restored_media.rename(media_root)
            else:
                media_root.mkdir(parents=True)
        say(f"restored {count} media file(s) into {media_root}")
    counts = table_row_counts()
    return RestoreReport(
        tables=len(counts), rows=sum(counts.values()), media_files=count, schema_note=note
    )
