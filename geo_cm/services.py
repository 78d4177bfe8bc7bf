"""The single-record asset services under their earlier name.

The asset-write module is ``geo_cm.assets``; this module only re-exports its
single-record services so that existing callers (``services.asset_update`` in the feature
API) keep working. New code imports from ``geo_cm.assets``.
"""

from .assets import (
    VersionConflict,
    asset_create,
    asset_delete,
    asset_set_status,
    asset_update,
    assets_assign_subdistrict,
)

__all__ = [
    "VersionConflict",
    "asset_create",
    "asset_delete",
    "asset_set_status",
    "asset_update",
    "assets_assign_subdistrict",
]
