"""Map layers contributed by the greenways app."""

from django.db.models import Q

from geo_cm.registry import CoverageSpec, Layer, register

from .models import Segment

register(
    Layer(
        slug="greenways",
        code_prefix="GW",
        model=Segment,
        title_zh="绿道",
        title_en="Greenways",
        description_zh="绿道路段，长度按椭球面计算（米）",
        description_en="Greenway segments; length in geodesic metres",
        public=True,
        public_fields=(
            "code",
            "route",
            "name",
            "status",
            "completed_on",
            "surface",
            "width_m",
            "length_m",
            "subdistrict",
        ),
        staff_fields=(
            "code",
            "route",
            "name",
            "status",
            "completed_on",
            "surface",
            "width_m",
            "length_m",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#a5d6a7",
            "under_construction": "#ff9800",
            "completed": "#2e7d32",
        },
        popup_fields=("name", "route", "status", "length_m"),
        date_field="completed_on",
        import_aliases={"code": ("BH", "编号", "LDBH"), "name": ("MC", "名称", "绿道名称")},
        coverage=CoverageSpec(
            kind="radius",
            default_m=500,
            # The source only: the page states the distances from the rule itself.
            standard_zh="《绿道规划设计导则》：居民步行可达绿道",
            standard_en="Greenway planning guideline: a greenway within walking distance",
            counted=Q(status="completed"),
        ),
        order=60,
    )
)
