from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geo_cm.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump) and the media files (photos) into one archive with "
        "a manifest of checksums and the schema version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="archive to write (default: var/backups/geocm-YYYYmmdd-HHMMSS.tar)",
        )

    def handle(self, *args, **options):
        output = options["output"] or Path("var/backups") / (
            f"geocm-{timezone.localtime():%Y%m%d-%H%M%S}.tar"
        )
        try:
            manifest = backup_create(output=output, say=self._say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["database"]["row_counts"].values())
        media = sum(1 for name in manifest["members"] if name.startswith("media/"))
        size = output.stat().st_size / 1e6
        self.stdout.write(
            f"backup written to {output} ({size:.1f} MB): "
            f"{len(manifest['database']['row_counts'])} tables, {rows} rows, "
            f"{media} media file(s)"
        )

    def _say(self, line):
        self.stdout.write(f"==> {line}")
