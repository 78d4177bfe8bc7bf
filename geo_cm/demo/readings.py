"""Synthetic quarterly readings of the plan's reported indicators, so the demo dashboard
shows latest values and trends. They say so in their scope and evidence: real readings
come from inspections and the 12345 hotline, entered by staff."""

import datetime as dt
from decimal import Decimal

from geo_cm.plans.models import Plan, ReportedValue, Target

from .common import DEMO_SOURCE, rng_for

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def load_readings(*, seed: int, year: int = 2023) -> int:
    """Four readings per reported indicator of ``year``'s plan that has none; returns how
    many were written. Values start a few points below the target and mostly climb."""
    plan = Plan.objects.filter(year=year).first()
    if plan is None:
        return 0
    written = []
    for target in plan.targets.filter(kind=Target.Kind.REPORTED).order_by("code"):
        if target.readings.exists():
            continue
        rng = rng_for(seed, f"readings/{target.code}")  # one stream each: skips shift none
        goal = float(target.target_value)
        value = goal - rng.uniform(1.5, 6.0)
        for month, day in QUARTER_ENDS:
            value = min(100.0, value + rng.uniform(-0.8, 2.2))
            written.append(
                ReportedValue(
                    target=target,
                    value=Decimal(f"{value:.1f}"),
                    measured_on=dt.date(year, month, day),
                    scope="全区（演示）",
                    evidence=f"{DEMO_SOURCE}: 合成数据，非实测",
                )
            )
    ReportedValue.objects.bulk_create(written)
    return len(written)


def delete_demo_readings() -> int:
    """Remove the synthetic readings (``--force``); staff readings stay."""
    deleted, _ = ReportedValue.objects.filter(evidence__startswith=DEMO_SOURCE).delete()
    return deleted
