"""The Pukou demo dataset: the real district outline, synthetic everything else.

The core loads the areas (``load_areas``: Pukou District 320111 and a synthetic
partition into its 9 街道), lays out a synthetic street plan (``roadplan``) and builds the
population grid; each domain app contributes its own records in its ``demo.py``
(``DEMO_ORDER``, ``demo_build(ctx)``; see ``context.DemoContext``), discovered like
``layers.py``. Every record carries ``source = "demo (synthetic)"``; the same seed always
gives the same data. Geometries are generated in EPSG:32650 metres, stored in EPSG:4326.
"""

from .areas import load_areas
from .assets import build_assets, delete_demo_assets, load_assets
from .common import DEMO_SOURCE, REFERENCE_TIME
from .context import DemoContext

__all__ = [
    "DEMO_SOURCE",
    "REFERENCE_TIME",
    "DemoContext",
    "build_assets",
    "delete_demo_assets",
    "load_areas",
    "load_assets",
]
