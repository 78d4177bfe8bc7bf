"""Demand layer contributed by the core coverage module."""

from geo_cm.registry import Layer, register

from .models import PopulationArea

register(
    Layer(
        slug="population",
        code_prefix="RK",
        model=PopulationArea,
        title_zh="人口分布",
        title_en="Population",
        description_zh="人口网格与居住区（覆盖分析的需求），仅工作人员可见",
        description_en="Population grid and residential areas (coverage demand), staff only",
        public=False,
        staff_fields=(
            "code",
            "name",
            "kind",
            "population",
            "year",
            "status",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={"current": "#8d6e63", "archived": "#bdbdbd"},
        popup_fields=("name", "kind", "population"),
        import_aliases={"population": ("RK", "人口", "POP", "人口数"), "name": ("MC", "名称")},
        # 3,842 grid cells cover the district: drawn only when asked for (issue 12).
        map_visible=False,
        order=90,
        # Demand data for the coverage analysis, not something a field team inspects.
        field_asset=False,
    )
)
