"""The metrics registry: plan metrics declared by the domain apps in ``metrics.py``.

Like the layer registry, the core never imports a domain app: a metric says how to
measure one plan quantity from the asset records, and the plans machinery iterates them.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True, eq=False)
class Metric:
    """A plan quantity measured from assets.

    ``measure(start, end, subdistrict)`` returns ``(value, queryset)``: the value over the
    local (Asia/Shanghai) dates ``start``..``end`` inclusive, and the records that make it
    up (of the layer ``layer``). Removed or reverted assets must not be counted. When the
    date that makes a record count is not the layer's own date (a parking site counts from
    its first sharing window), the queryset annotates it as ``counted_on``.

    ``kind`` "count" (the default) is a quantity that accumulates over the year (berths
    built). "rate" is a level over the period (a percentage of work orders replied on
    time): ``measure`` returns None as the value when the period has no records to compute
    it from, and a reported indicator that names the metric falls back to its readings
    there. ``definition_zh``/``definition_en`` say exactly what is counted (shown with the
    value on the dashboard).
    """

    key: str
    title_zh: str
    title_en: str
    unit: str
    layer: str
    measure: Callable[[dt.date, dt.date, object], tuple[float | None, object]]
    kind: str = "count"
    definition_zh: str = ""
    definition_en: str = ""

    @property
    def definition(self) -> str:
        english = (get_language() or "").startswith("en")
        return (self.definition_en if english else self.definition_zh) or self.definition_zh


class MetricRegistry:
    def __init__(self):
        self._metrics: dict[str, Metric] = {}

    def register(self, metric: Metric) -> Metric:
        if metric.key in self._metrics and self._metrics[metric.key] is not metric:
            raise ValueError(f"Metric '{metric.key}' is registered twice.")
        self._metrics[metric.key] = metric
        return metric

    def get(self, key: str) -> Metric | None:
        return self._metrics.get(key)

    def all(self) -> list[Metric]:
        return sorted(self._metrics.values(), key=lambda m: m.key)


metrics = MetricRegistry()
register = metrics.register
