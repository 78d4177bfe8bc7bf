"""``manage.py load_demo``: the Pukou demo dataset (real outline, synthetic assets)."""

import importlib
import importlib.util
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geo_cm.coverage.tasks import coverage_refresh_enqueue
from geo_cm.demo import delete_demo_assets, load_areas, load_assets
from geo_cm.demo.readings import delete_demo_readings, load_readings
from geo_cm.models import District

# (model label, label in the summary line), in the order the summary reads.
SUMMARY = (
    ("streets.Road", "roads"),
    ("streets.StreetLight", "street lights"),
    ("streets.LightingRetrofit", "lighting retrofits"),
    ("streets.BackAlleyProject", "back-alley projects"),
    ("parking.Facility", "parking facilities"),
    ("parking.Berth", "berths"),
    ("parking.SharingWindow", "sharing windows"),
    ("parking.OccupancyReport", "occupancy reports"),
    ("toilets.Toilet", "toilets"),
    ("greenways.Route", "greenway routes"),
    ("greenways.Segment", "greenway segments"),
    ("coverage.PopulationArea", "population areas"),
)


# --- HOOK (temporary) -------------------------------------------------------------------
# Domain apps contribute demo data in their own demo.py (DEMO_ORDER, demo_build(ctx)); this
# minimal discovery runs them after the assets, the plan and its readings. It is to be
# replaced by the core's demo convention, which discovers demo.py like layers.py.
@dataclass
class DemoContext:
    seed: int
    rng: random.Random  # seeded for the app: the same seed gives the same data
    district: object
    subdistricts: list
    force: bool  # replace the app's earlier demo data
    progress: Callable[[str], None]


def _app_demo_builders():
    """The installed apps' demo modules that define demo_build, in their DEMO_ORDER."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        if hasattr(module, "demo_build"):
            found.append(module)
    return sorted(found, key=lambda m: getattr(m, "DEMO_ORDER", 100))


# --- end of HOOK -------------------------------------------------------------------------


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
                district, subdistricts = load_areas()
                demo = load_assets(seed=seed)
                # The coverage results are computed in the background by the job worker.
                for asset_model, _ in demo.assets():
                    coverage_refresh_enqueue(model=asset_model)
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
        for builder in _app_demo_builders():
            rng = random.Random(f"{seed}/{builder.__name__}")
            builder.demo_build(
                DemoContext(seed, rng, district, subdistricts, force, self.stdout.write)
            )
        if removed:
            self.stdout.write(f"Deleted {removed:,} earlier demo assets.")
        counts = ", ".join(f"{demo.count(label):,} {name}" for label, name in SUMMARY)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded Pukou demo data (synthetic, seed {seed}): "
                f"{len(subdistricts)} subdistricts, {counts} in {seconds:.1f} s."
            )
        )
