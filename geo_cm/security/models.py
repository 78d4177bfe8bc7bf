from django.db import models


class RateWindow(models.Model):
    """One throttle counter: requests of one client in one scope since ``started``.

    A fixed window per key (``scope:client``), counted by one ``INSERT … ON CONFLICT``
    (``geo_cm.security.throttles.rate_window_hit``), so every gunicorn worker and every
    machine behind the load balancer counts together. The table is UNLOGGED (migration
    0001): a counter lost in a crash only gives a client a fresh window, and no WAL is
    written for each API request.
    """

    key = models.CharField(max_length=255, primary_key=True)
    started = models.DateTimeField()
    hits = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["started"], name="security_ratewindow_started")]

    def __str__(self):
        return f"{self.key}: {self.hits} since {self.started:%H:%M:%S}"
