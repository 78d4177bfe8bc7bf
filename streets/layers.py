"""Map layers contributed by the streets app."""

from django.db.models import Q

from geo_cm.registry import CoverageSpec, Layer, register

from .models import BackAlleyProject, LightingRetrofit, Road, StreetLight

register(
    Layer(
        slug="roads",
        code_prefix="DL",
        model=Road,
        title_zh="道路",
        title_en="Roads",
        description_zh="道路中心线（主干路、次干路、支路、街巷）",
        description_en="Road centre lines (main, secondary, branch, alley)",
        public=True,
        public_fields=("code", "name", "road_class", "status", "length_m", "subdistrict"),
        staff_fields=(
            "code",
            "name",
            "road_class",
            "status",
            "length_m",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#bdbdbd",
            "under_construction": "#ff9800",
            "in_service": "#607d8b",
            "closed": "#e53935",
        },
        popup_fields=("name", "road_class", "length_m", "status"),
        import_aliases={
            "code": ("BH", "编号", "DLBM", "道路编码"),
            "name": ("MC", "名称", "DLMC", "道路名称"),
            "road_class": ("DJ", "等级", "道路等级"),
        },
        order=30,
    )
)

register(
    Layer(
        slug="back-alleys",
        code_prefix="BJ",
        model=BackAlleyProject,
        title_zh="背街小巷整治",
        title_en="Back-alley projects",
        description_zh="背街小巷整治提升项目，含精品街巷",
        description_en="Back-alley renovation projects, boutique streets included",
        public=True,
        public_fields=(
            "code",
            "name",
            "plan_year",
            "status",
            "boutique",
            "completed_on",
            "length_m",
            "subdistrict",
        ),
        staff_fields=(
            "code",
            "name",
            "plan_year",
            "status",
            "boutique",
            "started_on",
            "completed_on",
            "accepted_on",
            "budget_wan_yuan",
            "contractor",
            "length_m",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#9e9e9e",
            "design": "#5c6bc0",
            "construction": "#ff9800",
            "completed": "#43a047",
            "accepted": "#1b5e20",
        },
        popup_fields=("name", "plan_year", "status", "boutique", "length_m"),
        date_field="completed_on",
        import_aliases={"code": ("BH", "编号", "XMBH"), "name": ("MC", "名称", "街巷名称")},
        order=40,
    )
)

register(
    Layer(
        slug="street-lights",
        code_prefix="LD",
        model=StreetLight,
        title_zh="路灯",
        title_en="Street lights",
        description_zh="路灯点位（LED/高压钠灯），含故障状态",
        description_en="Street lights (LED / HPS) with fault status",
        public=True,
        public_fields=("code", "lamp_type", "status", "subdistrict"),
        staff_fields=(
            "code",
            "road",
            "lamp_type",
            "power_w",
            "smart_controller",
            "status",
            "installed_on",
            "retrofitted_on",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={
            "working": "#fdd835",
            "fault": "#e53935",
            "under_repair": "#fb8c00",
            "removed": "#424242",
        },
        popup_fields=("code", "lamp_type", "status"),
        date_field="installed_on",
        coverage=CoverageSpec(
            kind="spacing",
            default_m=40,
            standard_zh="CJJ 45-2015《城市道路照明设计标准》：灯杆间距超过规定即为暗点",
            standard_en="CJJ 45-2015 urban road lighting standard: a longer gap between lights "
            "is a dark spot",
            counted=Q(status="working"),
            along_layer="roads",
            along=Q(status="in_service", road_class__in=["main", "secondary", "branch"]),
        ),
        import_aliases={
            "code": ("BH", "编号", "LDBH", "路灯编号"),
            "power_w": ("GL", "功率", "功率W"),
            "lamp_type": ("DJLX", "灯具类型", "光源"),
        },
        order=50,
    )
)

register(
    Layer(
        slug="lighting-retrofits",
        code_prefix="GZ",
        model=LightingRetrofit,
        title_zh="路灯节能改造",
        title_en="Lighting retrofits",
        description_zh="道路路灯节能改造项目（改造路段）",
        description_en="Energy-saving retrofits of the lights along a road (the stretch)",
        public=False,
        staff_fields=(
            "code",
            "road",
            "year",
            "status",
            "lamps",
            "power_before_w",
            "power_after_w",
            "completed_on",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#9e9e9e",
            "in_progress": "#ff9800",
            "completed": "#43a047",
            "cancelled": "#424242",
        },
        popup_fields=("code", "road", "year", "status", "lamps"),
        date_field="completed_on",
        order=55,
    )
)
