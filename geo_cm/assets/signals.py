"""The "assets changed" notification: how other features learn of asset writes.

Coverage results (and later tiles and caches) depend on assets. The asset-write module
does not know them: it sends ``assets_changed`` after every write, and whoever needs to
know connects a receiver in its ``AppConfig.ready()``. Receivers run inside the writer's
transaction, so what they write (a queued job row) commits or rolls back with the change.
"""

from django.dispatch import Signal

# Sent with sender=<asset model> and keyword arguments:
#   action: "create", "update", "status", "delete" or "bulk" (an import or a demo load)
#   count:  how many records changed (int)
#   pks:    the primary keys when known (single-record writes), else None
#   source: who or what made the change ("api:gis", "import:12", "field", ...)
assets_changed = Signal()


def assets_changed_send(*, model, action: str, count: int, pks=None, source: str = "") -> None:
    """Tell the subscribers that ``count`` records of ``model`` changed (nothing when 0)."""
    if count:
        assets_changed.send(sender=model, action=action, count=count, pks=pks, source=source)
