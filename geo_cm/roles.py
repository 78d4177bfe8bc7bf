"""Roles are Django groups with a declared set of permissions (DESIGN: people and permissions).

The public is the anonymous user and has no group. Domain apps are found through the
layer registry, so a new app's models are covered without touching this file.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .registry import registry


@dataclass(frozen=True)
class Role:
    name: str
    title_zh: str
    staff: bool  # may open the Django admin
    layer_actions: tuple[str, ...]  # on every model of the domain apps
    core_actions: tuple[str, ...] = ("view",)  # on geo_cm models (areas, history)
    superuser: bool = False


ROLES = (
    Role("field_team", "外业巡查人员", staff=False, layer_actions=("view", "change")),
    Role("planner", "规划人员", staff=True, layer_actions=("view",)),
    Role(
        "gis_staff",
        "GIS 数据人员",
        staff=True,
        layer_actions=("view", "add", "change", "delete"),
        core_actions=("view", "add", "change"),
    ),
    Role(
        "administrator",
        "系统管理员",
        staff=True,
        layer_actions=("view", "add", "change", "delete"),
        core_actions=("view", "add", "change", "delete"),
        superuser=True,
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


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create or update the role groups; returns group name -> number of permissions."""
    core = list(apps.get_app_config("geo_cm").get_models())
    result = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        perms = list(_perms(domain_models(), role.layer_actions)) + list(
            _perms(core, role.core_actions)
        )
        group.permissions.set(perms)
        result[role.name] = len(perms)
    return result


def role(name: str) -> Role:
    return next(r for r in ROLES if r.name == name)
