"""Work waiting for field teams near them, contributed by domain apps (open work orders).

Like the layer registry: a domain app registers a TaskSource in its ``layers.py`` and the
field app (core) lists its tasks beside the assets, without importing the app. A source
answers three URLs it owns:

- ``nearby_url`` GET ``?near=lon,lat&radius=m`` -> ``{"tasks": [...]}`` sorted by deadline,
  each task ``{source, id, code, title, status_label, color, deadline, overdue,
  distance_m, lon, lat, detail_url, action_url}`` (``near`` optional: all of the user's
  work area);
- ``detail_url`` GET -> shaped like the field app's asset detail (``layer_title``, ``code``,
  ``version``, ``status_label``, ``properties``, ``next_statuses``, ``history``), plus an
  optional ``asset`` offer (the asset the task concerns, with its own next statuses);
- ``action_url`` POST, like the asset status change: ``If-Match`` and ``Idempotency-Key``
  headers, form fields ``status``, ``note``, ``lon``/``lat``, ``photos``/``photo_sha256``,
  and ``asset_status`` to change the concerned asset in the same step.
"""

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True, eq=False)
class TaskSource:
    slug: str
    title_zh: str
    title_en: str
    perm: str  # the permission a user needs to see and act on these tasks
    nearby_url: object  # str or reverse_lazy

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "").startswith("en") else self.title_zh


class TaskRegistry:
    def __init__(self):
        self._sources: dict[str, TaskSource] = {}

    def register(self, source: TaskSource) -> TaskSource:
        if source.slug in self._sources and self._sources[source.slug] is not source:
            raise ValueError(f"Task source '{source.slug}' is registered twice.")
        self._sources[source.slug] = source
        return source

    def slugs(self) -> set[str]:
        return set(self._sources)

    def for_user(self, user) -> list[TaskSource]:
        return [s for _, s in sorted(self._sources.items()) if user.has_perm(s.perm)]


tasks = TaskRegistry()
register = tasks.register
