from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo_cm.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive (manage.py backup) into this database and media folder. "
        "Refuses a database or media folder that holds data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar written by manage.py backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and media folder that already hold data",
        )

    def handle(self, *args, **options):
        if not options["archive"].is_file():
            raise CommandError(f"{options['archive']}: no such backup archive.")
        try:
            report = backup_restore(
                archive=options["archive"], replace=options["force"], say=self._say
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {report.tables} tables ({report.rows} rows) and "
            f"{report.media_files} media file(s). {report.schema_note}"
        )

    def _say(self, line):
        self.stdout.write(f"==> {line}")
