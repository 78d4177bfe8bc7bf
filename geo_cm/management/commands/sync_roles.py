from django.core.management.base import BaseCommand

from geo_cm.roles import roles_sync


class Command(BaseCommand):
    help = "Create or update the role groups (field_team, planner, gis_staff, administrator)."

    def handle(self, *args, **options):
        for name, count in roles_sync().items():
            self.stdout.write(f"{name}: {count} permissions")
