"""The asset-write module: every change to an asset goes through here.

The API, the field app, the admin, the importer, the demo loader and other apps (a
resolved work order) all write assets with these functions, so the state machine, the
scope check, the subdistrict rule, the version bump and the history row are defined once
(``rules``, ``history``) for a single record (``records``) and for a staging table of many
(``bulk``). Features that depend on assets subscribe to ``assets_changed`` (``signals``)
instead of being called from here.

Single records::

    asset_create(model=Toilet, values={...}, by=user, source="api:gis")
    asset_update(asset=toilet, values={"name": "..."}, by=user, expected_version=3)
    asset_set_status(asset=light, status="working", by=user, note="lamp replaced",
                     source="workorders", related=work_order)
    asset_delete(asset=toilet, by=user)

Many records: ``BulkWrite`` (a staging table, used by the importer) and
``assets_bulk_create`` (unsaved instances, used by the demo).
"""

from .bulk import (
    BulkWrite,
    BulkWriteError,
    Counts,
    assets_bulk_create,
    copy_cells,
    copy_lines,
)
from .records import VersionConflict, asset_create, asset_delete, asset_set_status, asset_update
from .rules import assets_assign_subdistrict, status_change_check, subdistrict_sql, subdistricts_of
from .signals import assets_changed, assets_changed_send

__all__ = [
    "BulkWrite",
    "BulkWriteError",
    "Counts",
    "VersionConflict",
    "asset_create",
    "asset_delete",
    "asset_set_status",
    "asset_update",
    "assets_assign_subdistrict",
    "assets_bulk_create",
    "assets_changed",
    "assets_changed_send",
    "copy_cells",
    "copy_lines",
    "status_change_check",
    "subdistrict_sql",
    "subdistricts_of",
]
