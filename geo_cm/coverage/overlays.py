"""Demand signals drawn over the coverage map, contributed by domain apps.

A domain app registers an Overlay in its ``layers.py`` (complaints outside every toilet's
service area, complaints along dark road stretches); the coverage page offers the
overlays that apply to the layer analysed, without importing the app. The overlay's URL
answers GET ``?layer=&mode=&radius=&subdistrict=`` (the analysis's own parameters) with
``{"stats": {...}, "features": GeoJSON FeatureCollection}`` whose features carry a
``count`` (clusters, not one pin per record) and a ``label``.
"""

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True, eq=False)
class Overlay:
    slug: str
    title_zh: str
    title_en: str
    layers: tuple[str, ...]  # the coverage layers the signal applies to
    perm: str  # the permission a user needs to see it
    url: object  # str or reverse_lazy

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "").startswith("en") else self.title_zh


class OverlayRegistry:
    def __init__(self):
        self._overlays: dict[str, Overlay] = {}

    def register(self, overlay: Overlay) -> Overlay:
        if overlay.slug in self._overlays and self._overlays[overlay.slug] is not overlay:
            raise ValueError(f"Coverage overlay '{overlay.slug}' is registered twice.")
        self._overlays[overlay.slug] = overlay
        return overlay

    def for_user(self, user) -> list[Overlay]:
        return [o for _, o in sorted(self._overlays.items()) if user.has_perm(o.perm)]


overlays = OverlayRegistry()
register = overlays.register
