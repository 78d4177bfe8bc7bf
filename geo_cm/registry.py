"""The layer registry: one declaration per kind of asset, read by all generic machinery.

Domain apps declare their layers in ``layers.py`` (discovered in ``GeoCMConfig.ready``).
The feature API, the maps, the admin and (later) imports, exports and coverage analysis
iterate this registry; the core never imports a domain app.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import get_language


@dataclass(frozen=True)
class CoverageSpec:
    """How a layer serves its surroundings, with the default rule and where it comes from.

    kind "radius": each counted feature serves everything within ``default_m`` metres
        (straight-line geodesic, or walking distance over the road network).
    kind "spacing": features along roads (street lights) must be no more than
        ``default_m`` metres apart; a longer stretch is a dark spot.
    counted: a Q (or dict of lookups) selecting the features that serve (e.g. open ones).
    """

    kind: str
    default_m: float
    standard_zh: str
    standard_en: str
    counted: object = None
    # Smaller radius for demand areas of these kinds (busy public places), in metres.
    area_type_m: dict[str, float] = field(default_factory=dict)
    # kind "spacing": the layer whose lines must be lit, and which of its rows.
    along_layer: str | None = None
    along: object = None


# eq=False: a Layer is identified by itself (hashable, usable as a cache key).
@dataclass(frozen=True, eq=False)
class Layer:
    """Everything the generic machinery needs to know about one kind of asset.

    slug: URL-safe id, also the OGC collection id.
    model: the Django model (a subclass of ``geo_cm.models.Asset``).
    geometry_field: the EPSG:4326 geometry column drawn and served.
    public: whether anonymous users may see the layer at all.
    public_fields: the allow-list of properties anonymous users receive; nothing else
        leaves the server for them.
    staff_fields: properties authenticated staff receive (and may write, where editable).
    status_colors: status value -> CSS colour on the maps.
    popup_fields: properties shown in a map popup, in order (must be readable by the
        audience that sees the popup: public layers draw them from public_fields).
    date_field: the date that ``year=`` and ``datetime=`` filter on.
    import_aliases: model field -> source column names seen in the wild (``MC``, ``名称``).
    import_check: checks across the fields of imported rows, vectorised: called with the
        clean columns (model field -> pandas Series, only the mapped fields), it returns
        (boolean mask of failing rows, field, sentence) triples; failing rows are row errors.
    coverage: the layer's coverage rule (CoverageSpec), if it serves an area.
    field_asset: whether field teams look after its records on the ground, so the field app
        lists them (False for data that is not an asset, such as population grid cells).
    code_prefix: the letters that start the codes GeoCM generates for records imported
        without one (``GC`` gives ``GC-JP-0042``: prefix, subdistrict, sequence); without
        one, the first two letters of the slug, in capitals.
    map_visible: whether the overview map opens with the layer drawn (a user ticks it in
        the legend otherwise); off for background data that would cover the district.
    """

    slug: str
    model: type[models.Model]
    title_zh: str
    title_en: str
    description_zh: str = ""
    description_en: str = ""
    geometry_field: str = "geom"
    public: bool = False
    public_fields: tuple[str, ...] = ()
    staff_fields: tuple[str, ...] = ()
    status_field: str = "status"
    status_colors: dict[str, str] = field(default_factory=dict)
    popup_fields: tuple[str, ...] = ()
    date_field: str | None = None
    import_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    import_check: Callable | None = None
    coverage: CoverageSpec | None = None
    code_prefix: str = ""
    map_visible: bool = True
    order: int = 100
    field_asset: bool = True

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "").startswith("en") else self.title_zh

    @property
    def description(self) -> str:
        lang_en = (get_language() or "").startswith("en")
        return (self.description_en if lang_en else self.description_zh) or self.title

    @property
    def status_machine(self):
        return getattr(self.model, "status_machine", None)

    def perm(self, action: str) -> str:
        """The Django permission name for ``action`` (view, add, change, delete)."""
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def is_staff_reader(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.has_perm(self.perm("view")))

    def fields_for(self, user) -> tuple[str, ...]:
        """The properties this user may read: the public allow-list unless they hold ``view``."""
        return self.staff_fields if self.is_staff_reader(user) else self.public_fields

    def visible_to(self, user) -> bool:
        return self.public or self.is_staff_reader(user)


class LayerRegistry:
    """Ordered collection of Layers keyed by slug."""

    def __init__(self):
        self._layers: dict[str, Layer] = {}

    def register(self, layer: Layer) -> Layer:
        if layer.slug in self._layers and self._layers[layer.slug] is not layer:
            raise ValueError(f"Layer slug '{layer.slug}' is registered twice.")
        self._layers[layer.slug] = layer
        return layer

    def get(self, slug: str) -> Layer | None:
        return self._layers.get(slug)

    def all(self) -> list[Layer]:
        return sorted(self._layers.values(), key=lambda lay: (lay.order, lay.slug))

    def visible_to(self, user) -> list[Layer]:
        return [layer for layer in self.all() if layer.visible_to(user)]

    def for_model(self, model) -> Layer | None:
        return next((lay for lay in self._layers.values() if lay.model is model), None)


registry = LayerRegistry()
register = registry.register
