"""The metrics registry: plan metrics declared by the domain apps in ``metrics.py``.

Like the layer registry, the core never imports a domain app: a metric says how to
measure one plan quantity from the asset records, and the plans machinery iterates them.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Metric:
    """A plan quantity measured from assets.

    ``measure(start, end, subdistrict)`` returns ``(value, queryset)``: the value over the
    local (Asia/Shanghai) dates ``start``..``end`` inclusive, and the records that make it
    up (of the layer ``layer``). Removed or reverted assets must not be counted. When the
    date that makes a record count is not the layer's own date (a parking site counts from
    its first sharing window), the queryset annotates it as ``counted_on``.
    """

    key: str
    title_zh: str
    title_en: str
    unit: str
    layer: str
    measure: Callable[[dt.date, dt.date, object], tuple[float, object]]


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
