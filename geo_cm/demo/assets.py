"""Build and write all demo assets: generation is pure Python, writing is bulk SQL.

``build_assets(seed)`` returns unsaved model instances (EPSG:4326 geometries) and touches
no database, so determinism can be checked without one. ``load_assets(seed)`` writes them
with ``bulk_create`` in batches inside one transaction, derives every subdistrict with
one set-based UPDATE per model and records one ChangeRecord ("create") per asset.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from geo_cm.models import ChangeRecord, Subdistrict
from geo_cm.services import assets_assign_subdistrict

from .common import DEMO_SOURCE, model
from .greenways import ROUTES, build_greenways
from .parking import build_parking
from .population import build_population
from .streets import build_streets, plan_roads
from .toilets import build_toilets

BATCH_SIZE = 1000


@dataclass
class DemoAssets:
    """Unsaved demo records per model label, in an order that satisfies foreign keys."""

    rows: dict[str, list] = field(default_factory=dict)
    # Label -> creation times aligned with ``rows[label]``, for records whose
    # ``created_at`` is data (a plan metric counts by it) rather than the load time.
    created_at: dict[str, list] = field(default_factory=dict)

    def count(self, label: str) -> int:
        return len(self.rows.get(label, []))

    def assets(self):
        """(model, rows) for the models that are Assets (they carry code and subdistrict)."""
        for label, rows in self.rows.items():
            m = model(label)
            if any(f.name == "subdistrict" for f in m._meta.fields):
                yield m, rows


def build_assets(seed: int = 2023) -> DemoAssets:
    """Generate every demo asset for ``seed``; the same seed gives the same records."""
    roads = plan_roads(seed)
    streets = build_streets(seed, roads)
    parking = build_parking(seed, roads)
    greenways = build_greenways(seed, roads)
    return DemoAssets(
        rows={
            "streets.Road": streets.roads,
            "streets.StreetLight": streets.lights,
            "streets.LightingRetrofit": streets.retrofits,
            "streets.BackAlleyProject": streets.alleys,
            "parking.Facility": parking.facilities,
            "parking.Berth": parking.berths,
            "parking.SharingWindow": parking.windows,
            "parking.OccupancyReport": parking.reports,
            "toilets.Toilet": build_toilets(seed, roads),
            "greenways.Route": greenways.routes,
            "greenways.Segment": greenways.segments,
            "coverage.PopulationArea": build_population(seed),
        },
        created_at={"parking.SharingWindow": parking.window_created_at},
    )


def _refuse_clashes(demo: DemoAssets) -> None:
    """Stop before writing anything when a demo code is already taken."""
    for label, rows in demo.rows.items():
        m = model(label)
        if not any(f.name == "code" for f in m._meta.fields):
            continue
        codes = [r.code for r in rows]
        taken = m.objects.filter(code__in=codes).values_list("code", flat=True)[:3]
        if taken:
            raise ImproperlyConfigured(
                f"{m._meta.verbose_name_plural} {', '.join(taken)} already exist: the demo "
                "data is loaded. Use `manage.py load_demo --force` to replace it."
            )


@transaction.atomic
def load_assets(seed: int = 2023) -> DemoAssets:
    """Write the demo assets for ``seed`` (areas must be loaded first: ``load_areas``).

    Raises ImproperlyConfigured when no subdistricts exist or demo codes are taken.
    """
    if not Subdistrict.objects.exists():
        raise ImproperlyConfigured("Load the areas first (geo_cm.demo.load_areas).")
    demo = build_assets(seed)
    _refuse_clashes(demo)
    for label, rows in demo.rows.items():
        # bulk_create sets primary keys on PostgreSQL, so later rows can refer to earlier.
        model(label).objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for label, times in demo.created_at.items():
        # auto_now_add stamped the load time; bulk_update writes the values as given.
        rows = demo.rows[label]
        for row, when in zip(rows, times, strict=True):
            row.created_at = when
        model(label).objects.bulk_update(rows, ["created_at"], batch_size=BATCH_SIZE)
    history = []
    for m, rows in demo.assets():
        assets_assign_subdistrict(model=m, pks=[r.pk for r in rows])
        content_type = ContentType.objects.get_for_model(m)
        history.extend(
            ChangeRecord(
                content_type=content_type,
                object_id=r.pk,
                object_code=r.code,
                action=ChangeRecord.Action.CREATE,
                changes={},
                source=DEMO_SOURCE,
                asset_version=1,
                note="synthetic demo data",
            )
            for r in rows
        )
    ChangeRecord.objects.bulk_create(history, batch_size=BATCH_SIZE)
    return demo


# Deleting runs children first: retrofits protect roads, segments protect routes.
DELETE_ORDER = (
    "streets.LightingRetrofit",
    "streets.StreetLight",
    "streets.BackAlleyProject",
    "parking.Berth",
    "parking.Facility",
    "toilets.Toilet",
    "greenways.Segment",
    "streets.Road",
    "coverage.PopulationArea",
)


@transaction.atomic
def delete_demo_assets() -> int:
    """Delete every asset whose source is the demo's, its history, and emptied demo routes.

    Windows and occupancy reports go with their facility (CASCADE). Returns the number of
    assets deleted. Records created by people or imports are left alone; a person's edit
    to a demo asset keeps its source, so that asset is deleted too.
    """
    deleted = 0
    for label in DELETE_ORDER:
        m = model(label)
        deleted += m.objects.filter(source=DEMO_SOURCE).delete()[1].get(m._meta.label, 0)
    Route = model("greenways.Route")
    Route.objects.filter(code__in=[r.code for r in ROUTES], segments__isnull=True).delete()
    ChangeRecord.objects.filter(source=DEMO_SOURCE).delete()
    return deleted
