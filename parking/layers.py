"""Map layers contributed by the parking app."""

from django.db.models import Q

from geo_cm.registry import CoverageSpec, Layer, register

from .models import Berth, Facility

# What anyone may see; staff see these and the internal fields below.
FACILITY_PUBLIC = (
    "code",
    "name",
    "address",
    "kind",
    "ownership",
    "total_berths",
    "ev_berths",
    "accessible_berths",
    "fee_summary",
    "public_phone",
    "status",
    "subdistrict",
)

register(
    Layer(
        slug="parking-facilities",
        code_prefix="TC",
        model=Facility,
        title_zh="停车场",
        title_en="Parking facilities",
        description_zh="公共、单位、商业及小区停车设施（入口点位，WGS84）",
        description_en="Public, institutional, commercial and residential car parks (WGS84 points)",
        public=True,
        public_fields=FACILITY_PUBLIC,
        staff_fields=(
            *FACILITY_PUBLIC,
            "operator",
            "operator_contact",
            "opened_on",
            "source",
            "updated_at",
        ),
        status_colors={
            "planned": "#9e9e9e",
            "under_construction": "#ff9800",
            "open": "#1e88e5",
            "suspended": "#8e24aa",
            "removed": "#424242",
        },
        popup_fields=("name", "kind", "total_berths", "fee_summary", "status"),
        date_field="opened_on",
        import_aliases={
            "code": ("BH", "编号", "CCBH", "停车场编号"),
            "name": ("MC", "名称", "停车场名称"),
            "total_berths": ("BWS", "泊位数", "车位数", "berths", "泊位"),
            "address": ("DZ", "地址"),
        },
        coverage=CoverageSpec(
            kind="radius",
            default_m=300,
            # The source only: the page states the distances from the rule itself.
            standard_zh="规划实践：居民从家步行至共享停车场的可接受距离",
            standard_en="Planning practice: an acceptable walk from home to a shared car park",
            # Only open facilities that share berths serve residents who cannot park.
            counted=Q(status="open", sharing_windows__isnull=False),
        ),
        order=10,
    )
)

register(
    Layer(
        slug="parking-berths",
        code_prefix="BW",
        model=Berth,
        title_zh="停车泊位",
        title_en="Parking berths",
        description_zh="单个泊位（点或面），仅工作人员可见",
        description_en="Individual berths (point or polygon), staff only",
        public=False,
        staff_fields=(
            "code",
            "facility",
            "kind",
            "level",
            "status",
            "subdistrict",
            "source",
            "updated_at",
        ),
        status_colors={"available": "#43a047", "out_of_service": "#e53935", "removed": "#424242"},
        popup_fields=("code", "facility", "kind", "level", "status"),
        import_aliases={"code": ("BH", "编号", "泊位编号")},
        order=11,
    )
)
