import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from geo_cm.models import StaffScope, Subdistrict
from geo_cm.roles import ROLES, roles_sync

DEMO_USERS = {
    "administrator": "admin",
    "planner": "planner",
    "gis_staff": "gis",
    "field_team": "field",
    "parking_feed": "gate-feed",
    "report_client": "report-app",
}


class Command(BaseCommand):
    help = (
        "Create a demo account per role (admin, planner, gis, field). Passwords are "
        "random, printed once and kept in var/demo_accounts.txt (readable by you only)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=str(Path(settings.BASE_DIR) / "var" / "demo_accounts.txt")
        )

    @transaction.atomic
    def handle(self, *args, **options):
        roles_sync()
        users = get_user_model()
        created = []
        for role in ROLES:
            username = DEMO_USERS[role.name]
            if users.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            user = users.objects.create_user(
                username=username,
                password=password,
                is_staff=role.staff,
                is_superuser=role.superuser,
            )
            user.groups.add(Group.objects.get(name=role.name))
            if role.scoped:
                # The demo field team works in the two central subdistricts.
                scope = StaffScope.objects.create(user=user)
                scope.subdistricts.set(Subdistrict.objects.order_by("code")[:2])
            if not role.staff and role.layer_actions == ():
                # A machine client: it authenticates with an API token, not a password.
                password = "token " + Token.objects.create(user=user).key
            created.append((username, password, role))
        if not created:
            self.stdout.write(f"Demo accounts exist already (passwords in {options['file']}).")
            return
        path = Path(options["file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{u}\t{p}\t{r.name} ({r.title_zh})" for u, p, r in created]
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"Demo accounts (shown once; also in {path}):")
        for line in lines:
            self.stdout.write("  " + line)
