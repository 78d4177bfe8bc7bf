"""Map layers contributed by the toilets app."""

from django.db.models import Q

from geo_cm.registry import CoverageSpec, Layer, register

from .models import Toilet

# What anyone may see; staff see these and the internal fields below.
TOILET_PUBLIC = (
    "code",
    "name",
    "address",
    "category",
    "grade",
    "open_24h",
    "opening_hours",
    "accessible",
    "family_room",
    "baby_change",
    "free",
    "status",
    "subdistrict",
)

register(
    Layer(
        slug="toilets",
        code_prefix="GC",
        model=Toilet,
        title_zh="公共厕所",
        title_en="Public toilets",
        description_zh="城市公厕、景区公厕、农村公厕及开放联盟社会单位厕所（WGS84 点）",
        description_en="City, scenic-area, rural and open-alliance toilets (WGS84 points)",
        public=True,
        public_fields=TOILET_PUBLIC,
        staff_fields=(
            *TOILET_PUBLIC,
            "managing_unit",
            "manager_phone",
            "project",
            "completed_on",
            "last_verified_on",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#9e9e9e",
            "under_construction": "#ff9800",
            "open": "#00897b",
            "closed_for_repair": "#e53935",
            "removed": "#424242",
        },
        popup_fields=("name", "category", "opening_hours", "accessible", "status"),
        date_field="completed_on",
        import_aliases={
            "code": ("BH", "编号", "GCBH", "公厕编号"),
            "name": ("MC", "名称", "公厕名称"),
            "address": ("DZ", "地址"),
            "managing_unit": ("GLDW", "管理单位"),
            "category": ("LX", "类型", "类别", "type"),
            "opening_hours": ("KFSJ", "开放时间", "hours"),
        },
        coverage=CoverageSpec(
            kind="radius",
            default_m=500,
            # The source only: the page states the distances (500 m, 300 m around busy
            # public places) from the rule itself.
            standard_zh="GB/T 50337-2018《城市环境卫生设施规划标准》：公厕服务半径",
            standard_en="GB/T 50337-2018 urban sanitation facility planning standard: "
            "toilet service radius",
            counted=Q(status="open"),
            area_type_m={"public_place": 300},
        ),
        order=20,
    )
)
