"""Building, writing and deleting the demo assets, whichever apps contribute them.

The core knows no domain app: it runs the ``demo_build`` of every app's ``demo.py``
(discovered like ``layers.py``) and of its own builders (the population grid), in
``DEMO_ORDER``, then writes what they added: asset models through the asset-write module
(one history row per record, subdistricts derived in SQL, "assets changed" sent so that
coverage refreshes), other models with ``bulk_create``. Deleting removes every record of
those apps whose source is the demo's, children first, then asks each ``demo_delete``.
"""

from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from geo_cm.assets import assets_bulk_create
from geo_cm.models import Asset, ChangeRecord, Subdistrict

from . import population
from .common import DEMO_SOURCE
from .context import DemoContext

BATCH_SIZE = 1000
# The core's own builders beside the apps' (areas are loaded before any builder runs).
CORE_BUILDERS = (population,)


def demo_modules() -> list:
    """The ``demo`` modules of the installed apps and the core's builders, in DEMO_ORDER."""
    found = list(CORE_BUILDERS)
    for config in apps.get_app_configs():
        if f"{config.name}.demo" == __package__:
            continue  # the core's own demo package (this one): its builders are listed above
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise  # the module exists but something it imports does not
            continue
        if module not in found:
            found.append(module)
    for module in found:
        if not isinstance(getattr(module, "DEMO_ORDER", None), int) or not callable(
            getattr(module, "demo_build", None)
        ):
            raise ImproperlyConfigured(
                f"{module.__name__} must define DEMO_ORDER (an int) and demo_build(ctx)."
            )
    return sorted(found, key=lambda m: (m.DEMO_ORDER, m.__name__))


def _run(module, ctx: DemoContext) -> None:
    # The same stream whatever else runs: seeded with the seed and the module's name.
    ctx.rng = ctx.stream(module.__name__)
    module.demo_build(ctx)


def build_assets(seed: int = 2023) -> DemoContext:
    """Generate the records of the pure builders (``DEMO_PURE``) for ``seed`` into a
    context; touches no database."""
    ctx = DemoContext(seed=seed)
    for module in demo_modules():
        if getattr(module, "DEMO_PURE", False):
            _run(module, ctx)
    return ctx


def _refuse_clashes(ctx: DemoContext) -> None:
    """Stop before writing anything when a demo code is already taken."""
    for model, rows in ctx.rows.items():
        if not any(f.name == "code" for f in model._meta.fields):
            continue
        codes = [r.code for r in rows]
        taken = model.objects.filter(code__in=codes).values_list("code", flat=True)[:3]
        if taken:
            raise ImproperlyConfigured(
                f"{model._meta.verbose_name_plural} {', '.join(taken)} already exist: the "
                "demo data is loaded. Use `manage.py load_demo --force` to replace it."
            )


@transaction.atomic
def load_assets(seed: int = 2023, *, force: bool = False, progress=None, say=None) -> DemoContext:
    """Build and write the demo records for ``seed`` (areas must be loaded first), builder
    by builder in DEMO_ORDER. ``progress`` hears the builders' lines, ``say`` the core's.

    Raises ImproperlyConfigured when no subdistricts exist or demo codes are taken.
    """
    subdistricts = list(Subdistrict.objects.select_related("district"))
    if not subdistricts:
        raise ImproperlyConfigured("Load the areas first (geo_cm.demo.load_areas).")
    say = say or (lambda _text: None)
    ctx = DemoContext(
        seed=seed,
        district=subdistricts[0].district,
        subdistricts=subdistricts,
        force=force,
        progress=progress or (lambda _text: None),
    )
    for module in demo_modules():
        say(f"building {module.__name__}")
        written = {model: len(rows) for model, rows in ctx.rows.items()}
        _run(module, ctx)
        _write(ctx, written, say)
    return ctx


def _write(ctx: DemoContext, written: dict, say) -> None:
    """Write the rows added since ``written`` (model -> rows written before), in order."""
    fresh = DemoContext(seed=ctx.seed)
    for model, rows in ctx.rows.items():
        if len(rows) > written.get(model, 0):
            fresh.rows[model] = rows[written.get(model, 0) :]
    _refuse_clashes(fresh)
    for model, rows in fresh.rows.items():
        say(f"writing {len(rows):,} {model._meta.verbose_name_plural}")
        if issubclass(model, Asset):
            assets_bulk_create(
                model=model, rows=rows, source=DEMO_SOURCE, note="synthetic demo data"
            )
        else:
            # bulk_create sets primary keys on PostgreSQL, so later rows can refer to them.
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        times = ctx.created_at.get(model, [])[written.get(model, 0) :]
        if times:
            # auto_now_add stamped the load time; bulk_update writes the values as given.
            for row, when in zip(rows, times, strict=True):
                row.created_at = when
            model.objects.bulk_update(rows, ["created_at"], batch_size=BATCH_SIZE)


def _demo_models() -> list:
    """Models that carry a ``source``, of the apps with a demo module and of the core's
    builders, children before the parents they point at (retrofits before roads)."""
    from geo_cm.coverage.models import PopulationArea

    app_names = {m.__name__.removesuffix(".demo") for m in demo_modules()}
    models = [
        model
        for config in apps.get_app_configs()
        if config.name in app_names
        for model in config.get_models()
        if any(f.name == "source" for f in model._meta.fields)
    ]
    models.append(PopulationArea)  # the core builder's (geo_cm.demo.population)

    def points_at(child, parent) -> bool:
        return any(f.many_to_one and f.related_model is parent for f in child._meta.fields)

    ordered = []
    while len(ordered) < len(models):
        ready = [
            model
            for model in models
            if model not in ordered
            and not any(points_at(o, model) for o in models if o is not model and o not in ordered)
        ]
        if not ready:
            raise ImproperlyConfigured("The demo models refer to each other in a cycle.")
        ordered.extend(ready)
    return ordered


@transaction.atomic
def delete_demo_assets() -> int:
    """Delete every record whose source is the demo's, its history, and what the apps'
    ``demo_delete`` hooks remove. Returns the number of assets deleted.

    Records created by people or imports are left alone; a person's edit to a demo asset
    keeps its source, so that asset is deleted too.
    """
    deleted = 0
    for model in _demo_models():
        removed = model.objects.filter(source=DEMO_SOURCE).delete()[1]
        if issubclass(model, Asset):
            deleted += removed.get(model._meta.label, 0)
    for module in demo_modules():
        hook = getattr(module, "demo_delete", None)
        if hook is not None:
            hook()
    ChangeRecord.objects.filter(source=DEMO_SOURCE).delete()
    return deleted
