"""Roles are Django groups with a declared set of permissions (DESIGN: people and permissions).

The public is the anonymous user and has no group. Domain apps are found through the
layer registry, so a new app's models are covered without touching this file.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .registry import registry


@dataclass(frozen=True)
class Role:
    name: str
    title_zh: str
    staff: bool  # may open the Django admin
    layer_actions: tuple[str, ...]  # on every model of the domain apps
    core_actions: tuple[str, ...] = ("view",)  # on geo_cm models (areas, history)
    superuser: bool = False
    # Limited to the subdistricts of the user's StaffScope when changing assets.
    scoped: bool = False
    # The asset fields this role may write; None means every writable field.
    writable_fields: tuple[str, ...] | None = None
    # Single permissions beyond the per-model actions, as "app_label.codename".
    extra_perms: tuple[str, ...] = ()


ROLES = (
    Role(
        "field_team",
        "外业巡查人员",
        staff=False,
        layer_actions=("view", "change"),
        scoped=True,
        writable_fields=("status",),
    ),
    Role(
        "planner",
        "规划人员",
        staff=True,
        layer_actions=("view",),
        # Planners own the coverage rules (distances and the standards they come from),
        # edit the plans and their targets (history kept) and record indicator readings.
        extra_perms=(
            "coverage.add_coveragerule",
            "coverage.change_coveragerule",
            "coverage.delete_coveragerule",
            *(
                f"plans.{a}_{m}"
                for m in ("plan", "target")
                for a in ("view", "add", "change", "delete")
            ),
            "plans.view_planchange",
            "plans.view_reportedvalue",
            "plans.add_reportedvalue",
        ),
    ),
    Role(
        "gis_staff",
        "GIS 数据人员",
        staff=True,
        layer_actions=("view", "add", "change", "delete"),
        core_actions=("view", "add", "change"),
        # Reads the plan's progress and reports (geo_cm.plans.permissions), edits nothing.
        extra_perms=("plans.view_plan", "plans.view_target", "plans.view_reportedvalue"),
    ),
    Role(
        "administrator",
        "系统管理员",
        staff=True,
        layer_actions=("view", "add", "change", "delete"),
        core_actions=("view", "add", "change", "delete"),
        superuser=True,
        extra_perms=("plans.view_plan", "plans.view_target", "plans.view_reportedvalue"),
    ),
    # Reporting apps and hotline systems posting citizens' reports through Open311 with an
    # API key (a token of an account in this role): create work orders, nothing else.
    Role(
        "report_client",
        "报事应用接入",
        staff=False,
        layer_actions=(),
        core_actions=(),
        extra_perms=("workorders.add_workorder",),
    ),
    # Machine clients such as car-park gate systems: post occupancy reports, nothing else.
    Role(
        "parking_feed",
        "停车数据接入",
        staff=False,
        layer_actions=(),
        core_actions=(),
        extra_perms=("parking.add_occupancyreport",),
    ),
)


def domain_models():
    """Every model of the apps that contribute layers (assets and their companions)."""
    labels = sorted({layer.model._meta.app_label for layer in registry.all()})
    return [m for label in labels for m in apps.get_app_config(label).get_models()]


def _perms(models, actions):
    codenames = [f"{a}_{m._meta.model_name}" for m in models for a in actions]
    labels = {m._meta.app_label for m in models}
    return Permission.objects.filter(content_type__app_label__in=labels, codename__in=codenames)


def _named_perms(names):
    for name in names:
        app_label, codename = name.split(".", 1)
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create or update the role groups; returns group name -> number of permissions."""
    core = list(apps.get_app_config("geo_cm").get_models())
    result = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        perms = [
            *_perms(domain_models(), role.layer_actions),
            *_perms(core, role.core_actions),
            *_named_perms(role.extra_perms),
        ]
        group.permissions.set(perms)
        result[role.name] = len(perms)
    return result


def role(name: str) -> Role:
    return next(r for r in ROLES if r.name == name)


def user_roles(user) -> list[Role]:
    """The declared roles this user holds (by group membership)."""
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))
    return [r for r in ROLES if r.name in names]


def user_write_limits(user) -> tuple[frozenset[str] | None, bool]:
    """(fields the user may write or None for all, whether writes are scoped).

    The most permissive role wins: a GIS staff member who is also in a field team is not
    limited. Superusers are never limited.
    """
    if user.is_superuser:
        return None, False
    roles = user_roles(user)
    unlimited = [r for r in roles if not r.scoped and r.writable_fields is None]
    if unlimited or not roles:
        return None, False
    fields = frozenset(f for r in roles for f in (r.writable_fields or ()))
    return fields, any(r.scoped for r in roles)


def user_subdistrict_ids(user) -> set[int]:
    """Ids of the subdistricts in the user's work area (empty when none is set)."""
    scope = getattr(user, "geocm_scope", None)
    return set(scope.subdistricts.values_list("id", flat=True)) if scope else set()


def asset_write_check(*, user, asset, fields) -> None:
    """Raise PermissionDenied unless ``user`` may change ``fields`` of ``asset``.

    Function permissions (add/change/delete) are checked by the views; this is the object
    and field check every write path shares: a field team writes only its fields, and only
    on assets inside its work area.
    """
    if user is None or not user.is_authenticated:
        return  # internal callers (loaders, imports) pass no user
    allowed, scoped = user_write_limits(user)
    if allowed is not None:
        denied = sorted(set(fields) - allowed)
        if denied:
            raise PermissionDenied(
                _("Your role may not change the field '%(field)s'.") % {"field": denied[0]}
            )
    if scoped and asset.subdistrict_id not in user_subdistrict_ids(user):
        raise PermissionDenied(
            _("Asset %(code)s is outside your work area; ask its subdistrict's team.")
            % {"code": asset.code}
        )
