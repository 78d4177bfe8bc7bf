"""Writes of the tiles feature: the per-layer data version that every tile's ETag carries."""

from django.db import connection
from django.db.models import ForeignKey

from ..registry import registry


def layers_showing_model(*, model) -> list[str]:
    """Slugs of the layers whose tiles show records of ``model``.

    The model's own layers, and layers with a readable foreign key to it (a street light
    shows its road's code: renaming the road changes the light's tiles too).
    """
    slugs = []
    for layer in registry.all():
        if layer.model is model:
            slugs.append(layer.slug)
            continue
        opts = layer.model._meta
        for name in {*layer.public_fields, *layer.staff_fields}:
            field = opts.get_field(name)
            if isinstance(field, ForeignKey) and field.related_model is model:
                slugs.append(layer.slug)
                break
    return slugs


def layer_version_bump(*, slugs: list[str]) -> None:
    """Add one to the data version of each layer in ``slugs`` (created at 1 when absent).

    Runs in the caller's transaction: the new version becomes visible with the change
    itself, so a reader never sees a new version next to old records.
    """
    if not slugs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tiles_layerdataversion (slug, version, changed_at) "
            "SELECT s, 1, now() FROM unnest(%s::text[]) AS s "
            "ON CONFLICT (slug) DO UPDATE "
            "SET version = tiles_layerdataversion.version + 1, changed_at = now()",
            [sorted(set(slugs))],
        )


def tiles_on_assets_changed(sender, **kwargs) -> None:
    """Receiver of ``assets_changed``: the changed layers' tiles get a new ETag."""
    layer_version_bump(slugs=layers_showing_model(model=sender))
