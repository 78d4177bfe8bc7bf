"""The Pukou demo dataset: the real district outline, synthetic everything else.

``load_areas()`` writes Pukou District (320111) and a synthetic partition into its 9
街道; ``load_assets(seed)`` writes seeded, plausible roads, street lights, retrofits,
back alleys, car parks, toilets and greenways inside the outline, every one with
``source = "demo (synthetic)"``. The same seed always gives the same data. Geometries
are generated in EPSG:32650 metres and stored in EPSG:4326.
"""

from .areas import load_areas
from .assets import build_assets, delete_demo_assets, load_assets
from .common import DEMO_SOURCE, REFERENCE_TIME

__all__ = [
    "DEMO_SOURCE",
    "REFERENCE_TIME",
    "build_assets",
    "delete_demo_assets",
    "load_areas",
    "load_assets",
]
