"""``manage.py purge_uploads``: delete the uploads nobody imported within the expiry.

The job worker runs the same purge on its own every GEOCM_JOB_PERIODIC_SECONDS; this
command is for operators (cron, or before a backup). ``--days`` overrides
GEOCM_IMPORT_UPLOAD_EXPIRY_DAYS for this run.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from geo_cm.imports.uploads import uploads_purge


class Command(BaseCommand):
    help = "Delete uploaded import files that were not imported within the expiry (7 days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=float, help="expiry in days (default GEOCM_IMPORT_UPLOAD_EXPIRY_DAYS)"
        )

    def handle(self, *args, **options):
        days = options["days"]
        if days is not None and days < 0:
            raise CommandError(_("--days must be 0 or more (got %(days)s).") % {"days": days})
        if days is None:
            deleted = uploads_purge()
        else:
            with override_settings(GEOCM={**settings.GEOCM, "IMPORT_UPLOAD_EXPIRY_DAYS": days}):
                deleted = uploads_purge()
        self.stdout.write(
            _("%(n)d uploads older than %(days)s days were deleted.")
            % {
                "n": deleted,
                "days": settings.GEOCM["IMPORT_UPLOAD_EXPIRY_DAYS"] if days is None else days,
            }
        )
