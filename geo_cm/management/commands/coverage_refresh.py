from django.core.management.base import BaseCommand

from geo_cm.coverage import engine


class Command(BaseCommand):
    help = (
        "Recompute the coverage of every layer with a coverage rule (straight-line and "
        "network), so planners find fresh results; run after imports or from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mode", choices=engine.MODES, action="append")

    def handle(self, *args, **options):
        for layer in engine.coverage_layers():
            # A spacing rule is measured along each road: it has no network mode.
            modes = engine.MODES if layer.coverage.kind == "radius" else ("straight",)
            for mode in options["mode"] or modes:
                result = engine.coverage_get(layer_slug=layer.slug, mode=mode)
                stats = result.stats
                share = stats.get("district", {}).get("population_share", stats.get("dark_share"))
                self.stdout.write(
                    f"{layer.slug:20} {result.mode:9} {result.distance_m:6.0f} m "
                    f"{result.seconds:6.2f} s  share {share}"
                )
