"""``manage.py load_demo``: the Pukou demo dataset (real outline, synthetic assets)."""

import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geo_cm.demo import delete_demo_assets, load_areas, load_assets
from geo_cm.demo.readings import delete_demo_readings, load_readings
from geo_cm.models import District


class Command(BaseCommand):
    help = (
        "Load the Pukou demo data: the real district outline, 9 synthetic subdistricts and "
        "seeded synthetic assets (source 'demo (synthetic)'). The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a district already exists (used by `make run`).",
        )
        parser.add_argument("--seed", type=int, default=2023, help="Random seed (default 2023).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete the existing demo assets (source 'demo (synthetic)') first.",
        )

    def handle(self, *args, if_empty, seed, force, **options):
        if if_empty and District.objects.exists():
            self.stdout.write("A district already exists: demo data not loaded (--if-empty).")
            return
        started = time.perf_counter()
        try:
            with transaction.atomic():
                removed = delete_demo_assets() if force else 0
                _, subdistricts = load_areas()
                # Every app's demo.py adds its records; asset writes notify coverage, which
                # the job worker then computes in the background.
                demo = load_assets(
                    seed=seed, force=force, progress=self.stdout.write, say=self._say(options)
                )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        # The plan the demo is measured against (its targets are data, not demo assets).
        call_command("load_plan_2023", "--if-missing", verbosity=0)
        if force:
            delete_demo_readings()
        readings = load_readings(seed=seed)
        if readings:
            self.stdout.write(f"{readings} synthetic readings of the plan's reported indicators.")
        if removed:
            self.stdout.write(f"Deleted {removed:,} earlier demo assets.")
        counts = ", ".join(f"{demo.count(model):,} {name}" for model, name in demo.summary)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded Pukou demo data (synthetic, seed {seed}): "
                f"{len(subdistricts)} subdistricts, {counts} in {seconds:.1f} s."
            )
        )

    def _say(self, options):
        """The core's own steps for --verbosity 2; the builders' lines are always shown."""
        if options.get("verbosity", 1) < 2:
            return None
        return lambda text: self.stdout.write(f"  {text}")
