"""Parking's jobs for the queue (discovered like layers.py)."""

from geo_cm.jobs.queue import task

from . import partitions


@task("parking.occupancy_maintain")
def parking_occupancy_maintain(job):
    """The daily partition upkeep (parking/partitions.py) run by a job worker.

    For installations that schedule work through the queue rather than cron: queue it once
    a day (`manage.py parking_occupancy_maintain` does the same in the foreground).
    """
    done = partitions.occupancy_maintain()
    return {
        "created": [f"{m:%Y-%m}" for m in done["created"]],
        "dropped": [f"{m:%Y-%m}" for m in done["dropped"]],
        "summary_rows": done["summary_rows"],
    }
