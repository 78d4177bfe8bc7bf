"""What a demo builder gets: the ``DemoContext``.

Each app may contribute a ``demo.py`` module, discovered like ``layers.py``, defining::

    DEMO_ORDER: int                      # builders run in this order (core areas first)
    def demo_build(ctx: DemoContext) -> None
    DEMO_PURE = True                     # optional: demo_build only adds rows to ctx
    def demo_delete() -> int             # optional: what the generic delete misses

``demo_build`` makes unsaved model instances and hands them to ``ctx.add``; after each
builder the core writes what it added, asset models through the asset-write module
(``geo_cm.assets.assets_bulk_create``: subdistricts, version, history, "assets changed"),
so a later builder finds the earlier records in the database (work orders are placed near
the lights and the people). The load's summary line counts what was added. A builder that
declares ``DEMO_PURE`` touches no database, so the same seed can be checked to give the
same records without one (``build_assets``).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from .common import rng_for


@dataclass
class DemoContext:
    """The seed and its random streams, the areas, the shared street plan, the options,
    and where the builders put their records.

    seed: the demo's seed (``load_demo --seed``).
    rng: the random generator of the builder being run, seeded with the seed and the
        builder's module name; ``stream(name)`` gives further independent generators, so
        changing one part of a builder leaves the others' data alone.
    district, subdistricts: the areas loaded by the core (None and [] when only building).
    force: ``load_demo --force`` (the earlier demo data was deleted first).
    progress: prints a line of the builder's on the load's output.
    roads: the synthetic street plan (``geo_cm.demo.roadplan``), made once on first use.
    """

    seed: int
    district: object = None
    subdistricts: list = field(default_factory=list)
    force: bool = False
    progress: Callable[[str], None] = field(default=lambda _text: None)
    rng: random.Random | None = None
    rows: dict = field(default_factory=dict)  # model -> unsaved instances, in write order
    created_at: dict = field(default_factory=dict)  # model -> creation times (data)
    summary: list = field(default_factory=list)  # (model, label) in the order added

    def stream(self, name: str) -> random.Random:
        """An independent random generator for ``name``, the same for the same seed."""
        return rng_for(self.seed, name)

    @cached_property
    def roads(self) -> list:
        """The demo's street plan (RoadPlan, EPSG:32650): what facilities are placed along."""
        from .roadplan import plan_roads

        return plan_roads(self.seed)

    def add(self, rows: list, *, summary: str | None = None, created_at=None) -> None:
        """Queue unsaved instances of one model to be written, after those added before
        (foreign keys to earlier rows are set when those are saved). ``summary`` names them
        in the load's summary line; ``created_at`` (one time per row) replaces the load
        time where the creation time is data (a plan metric counts by it)."""
        if not rows:
            return
        model = type(rows[0])
        self.rows.setdefault(model, []).extend(rows)
        if created_at is not None:
            self.created_at.setdefault(model, []).extend(created_at)
        if summary and all(m is not model for m, _label in self.summary):
            self.summary.append((model, summary))

    def count(self, model) -> int:
        return len(self.rows.get(model, []))
