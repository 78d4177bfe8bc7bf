"""What the work-orders app contributes to the registry-driven machinery.

The layer (feature API, exports, imports of hotline exports, the overview map for staff),
the field app's task list and the coverage map's demand signal. Reporters' names and
phones are in no field list here: they never leave through the generic machinery.
"""

from django.urls import reverse_lazy

from geo_cm.coverage.overlays import Overlay
from geo_cm.coverage.overlays import register as register_overlay
from geo_cm.field.tasks import TaskSource
from geo_cm.field.tasks import register as register_tasks
from geo_cm.registry import Layer, register

from .models import HANDLING_FIELDS, WorkOrder
from .services import workorder_import_check

STAFF_FIELDS = (
    "code",
    "category",
    "channel",
    "status",
    "received_at",
    "address",
    "description",
    *(f for f in HANDLING_FIELDS if f != "status"),
    "asset_layer",
    "asset_code",
    "asset_confirmed",
    "subdistrict",
    "source",
    "updated_at",
)

register(
    Layer(
        slug="work-orders",
        model=WorkOrder,
        title_zh="热线工单与市民报事",
        title_en="Work orders and citizens' reports",
        description_zh="12345/12319 热线工单、市民网上报事和巡查发现的问题（WGS84 点）",
        description_en="12345/12319 hotline work orders, citizens' web reports and field "
        "findings (WGS84 points)",
        # Staff only: the public sees reports through the report pages and Open311, which
        # leave out descriptions, contacts and photos.
        public=False,
        staff_fields=STAFF_FIELDS,
        status_colors={
            "received": "#1e88e5",
            "dispatched": "#8e24aa",
            "replied": "#00acc1",
            "resolved": "#43a047",
            "closed": "#9e9e9e",
            "reopened": "#fb8c00",
            "rejected": "#424242",
        },
        popup_fields=("category", "channel", "received_at", "status", "asset_code"),
        date_field="received_at",
        # Column names of the municipal hotline system's exports (and common variants).
        import_aliases={
            "code": ("工单编号", "工单号", "受理编号", "GDBH"),
            "category": ("问题类型", "问题分类", "诉求类别", "WTLX"),
            "channel": ("来源", "来源渠道", "受理渠道", "LY"),
            "description": ("诉求内容", "问题描述", "来电内容", "NR"),
            "address": ("事发地址", "发生地址", "地址", "DZ"),
            "reporter_name": ("联系人", "来电人", "诉求人"),
            "reporter_phone": ("联系电话", "来电号码", "联系方式"),
            "status": ("工单状态", "办理状态", "状态", "ZT"),
            "received_at": ("受理时间", "来电时间", "登记时间", "SLSJ"),
            "dispatched_at": ("派单时间", "交办时间"),
            "replied_at": ("答复时间", "回复时间", "首次答复时间"),
            "reply": ("答复内容", "回复内容"),
            "resolved_at": ("处置时间", "办理完成时间"),
            "resolution": ("处置结果", "办理结果"),
            "closed_at": ("办结时间", "结案时间"),
            "satisfaction": ("满意度", "回访结果", "评价结果"),
            "reopened_at": ("重办时间",),
            "reopen_count": ("重办次数",),
            "rejection_reason": ("退单原因", "退回原因"),
        },
        import_check=workorder_import_check,
        order=90,
    )
)

register_tasks(
    TaskSource(
        slug="work-orders",
        title_zh="待办工单",
        title_en="Open work orders",
        perm="workorders.change_workorder",
        nearby_url=reverse_lazy("workorders-field-nearby"),
    )
)

register_overlay(
    Overlay(
        slug="work-orders",
        title_zh="市民诉求（服务范围外）",
        title_en="Complaints outside the service area",
        layers=("toilets", "street-lights", "parking-facilities", "greenways"),
        perm="workorders.view_workorder",
        url=reverse_lazy("workorders-demand-signal"),
    )
)
