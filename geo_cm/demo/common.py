"""Constants and small helpers shared by the demo generators."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

# Every demo record carries this source, so it can be told apart and removed (--force).
DEMO_SOURCE = "demo (synthetic)"

# "Now" for the demo's time-relative records (occupancy reports): fixed, not now(), so
# two loads with the same seed are identical.
SHANGHAI = ZoneInfo("Asia/Shanghai")
REFERENCE_TIME = dt.datetime(2024, 12, 31, 18, 0, tzinfo=SHANGHAI)


def rng_for(seed: int, stream: str) -> random.Random:
    """An independent random stream per layer: changing one generator leaves the others.

    String seeds are hashed with SHA-512 by ``random``, so they do not depend on
    PYTHONHASHSEED.
    """
    return random.Random(f"{seed}/{stream}")


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date in [start, end]."""
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def in_year(rng: random.Random, year: int, first_month: int = 1, last_month: int = 12):
    """A date in ``year`` between the first day of ``first_month`` and the end of ``last_month``."""
    end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
    return random_date(rng, dt.date(year, first_month, 1), end)


def weighted_order(rng: random.Random, items, weight) -> list:
    """``items`` in a random order where heavier items tend to come first.

    Efraimidis-Spirakis keys (u ** (1 / w)): sorting by them is weighted sampling
    without replacement.
    """
    keyed = [(rng.random() ** (1.0 / weight(item)), i, item) for i, item in enumerate(items)]
    return [item for _, _, item in sorted(keyed, key=lambda k: (-k[0], k[1]))]
