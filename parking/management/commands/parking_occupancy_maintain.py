"""Daily upkeep of the occupancy reports' monthly partitions (cron or a systemd timer).

    python manage.py parking_occupancy_maintain            # months ahead, retention, summary
    python manage.py parking_occupancy_maintain --today 2027-03-02

Creates the partitions of this month and GEOCM["OCCUPANCY_PARTITIONS_AHEAD"] months on,
moves any reports the default partition caught into their month, drops months older than
GEOCM["OCCUPANCY_RETENTION_MONTHS"] and refreshes this and last month's summary.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from parking import partitions


class Command(BaseCommand):
    help = "Prepare, expire and summarise the monthly partitions of parking occupancy reports."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="judge as of this local date (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(
                    f"--today must be a date such as 2027-03-02, not {today!r}."
                ) from None
        done = partitions.occupancy_maintain(today=day)
        months = ", ".join(f"{m:%Y-%m}" for m in done["created"]) or "none"
        gone = ", ".join(f"{m:%Y-%m}" for m in done["dropped"]) or "none"
        self.stdout.write(
            f"Occupancy partitions created: {months}; dropped (older than the retention): "
            f"{gone}; monthly summary rows refreshed: {done['summary_rows']}."
        )
