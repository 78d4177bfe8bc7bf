"""Per-layer data versions: what caches of layer-derived answers are keyed on.

Every write to an asset table goes through ``geo_cm.assets``, which sends
``assets_changed``; the receiver here (connected in ``GeoCMConfig.ready()``) bumps that
table's version in the writer's transaction, so the new version becomes visible exactly
when the change does. Anything derived from a layer — the feature API's ETags, the
collections' extents, vector tiles — can then be cached under
``(layer, layer_data_version(layer=...))`` and is never served stale after a commit.

Versions are per model (a layer's version is its model's), drawn from one sequence
(``geo_cm_data_version_seq``), so a number is never handed out twice. A table nobody has
written through ``geo_cm.assets`` yet has version 0. Writes that bypass the asset-write
module (psql, a raw ``COPY``) must call ``data_version_bump`` themselves.

Read the version *before* reading the data it describes: a change committed in between
then makes the next request see a newer version (a cache miss), never the reverse.
"""

from django.db import connection
from django.db.models import ForeignKey
from django.utils import timezone

from .models import DataVersion
from .registry import registry

TABLE = DataVersion._meta.db_table


def _key(model) -> str:
    return model._meta.label_lower


def data_version_bump(*, model) -> int:
    """Give ``model``'s table a new data version (inside the caller's transaction).

    Returns the new version. The row stays locked until the caller commits, so concurrent
    writers of one table bump one after the other (each gets its own number).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (model, version, changed_at) "  # noqa: S608 - model metadata
            "VALUES (%s, nextval('geo_cm_data_version_seq'), %s) "
            "ON CONFLICT (model) DO UPDATE "
            "SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at "
            "RETURNING version",
            [_key(model), timezone.now()],
        )
        return cursor.fetchone()[0]


def model_data_version(*, model) -> int:
    """The current data version of ``model``'s table (0 when never written through assets)."""
    row = DataVersion.objects.filter(model=_key(model)).values_list("version", flat=True)
    return next(iter(row), 0)


def layer_data_version(*, layer) -> int:
    """The current data version of a registry layer (its model's). One indexed lookup."""
    return model_data_version(model=layer.model)


def layer_data_versions(*, layers) -> dict[str, int]:
    """slug -> data version for several layers, in one query."""
    keys = {layer.slug: _key(layer.model) for layer in layers}
    found = dict(
        DataVersion.objects.filter(model__in=keys.values()).values_list("model", "version")
    )
    return {slug: found.get(key, 0) for slug, key in keys.items()}


def layer_extent_cached(*, layer, compute):
    """The layer's extent, computed by ``compute()`` only when its data version moved.

    ``compute`` returns (minLon, minLat, maxLon, maxLat) in EPSG:4326 or None. The value
    is stored beside the version it was computed for; a write in between makes the stored
    one stale, and it is only stored when the version is still the one it was read at.
    """
    key = _key(layer.model)
    row = DataVersion.objects.filter(model=key).values("version", "extent", "extent_version")
    row = next(iter(row), None)
    version = row["version"] if row else 0
    if row and row["extent_version"] == version:
        return tuple(row["extent"]) if row["extent"] is not None else None
    extent = compute()
    value = list(extent) if extent is not None else None
    # Stored only if no write moved the version meanwhile (else the next reader computes).
    DataVersion.objects.filter(model=key, version=version).update(
        extent=value, extent_version=version
    )
    if row is None:
        DataVersion.objects.get_or_create(
            model=key, defaults={"version": 0, "extent": value, "extent_version": 0}
        )
    return extent


def layer_data_token(*, layer) -> str:
    """The layer's data version as an opaque token for ETags that may outlive a database.

    The version and the time of the last change: versions count from the same start in
    every database (a restored backup, a test database), so a proxy cache shared by two
    of them could otherwise answer for the wrong data. "0" before the first change.
    """
    row = (
        DataVersion.objects.filter(model=_key(layer.model))
        .values_list("version", "changed_at")
        .first()
    )
    if row is None or row[1] is None:
        return "0"
    version, changed_at = row
    return f"{version}.{int(changed_at.timestamp() * 1_000_000):x}"


def models_showing(*, model) -> list:
    """``model`` and every layer model that shows it through a readable foreign key.

    A street light's answers carry its road's code: renaming the road changes the lights'
    item pages and tiles too, so their versions move with the road's.
    """
    found = [model]
    for layer in registry.all():
        if layer.model is model or layer.model in found:
            continue
        opts = layer.model._meta
        for name in {*layer.public_fields, *layer.staff_fields}:
            field = opts.get_field(name)
            if isinstance(field, ForeignKey) and field.related_model is model:
                found.append(layer.model)
                break
    return found


def data_version_on_assets_changed(sender, **_kwargs) -> None:
    """Receiver of ``geo_cm.assets.assets_changed``: the sender's table (and the tables
    of layers showing it) changed."""
    for model in models_showing(model=sender):
        data_version_bump(model=model)
