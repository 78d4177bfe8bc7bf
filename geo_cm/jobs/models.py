from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One unit of background work and its progress, as the page and the CLI show it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    name = models.CharField(_("task"), max_length=100)
    args = models.JSONField(_("arguments"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1
    message = models.TextField(_("message"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # The same work queued twice is queued once (a burst of edits, one refresh).
            models.UniqueConstraint(
                fields=["name", "args"],
                condition=Q(status="queued"),
                name="jobs_one_queued_per_task_and_args",
            ),
        ]

    def __str__(self):
        return f"{self.name} #{self.pk} {self.status}"


class Worker(models.Model):
    """A running job worker (`manage.py run_jobs`) and the last sign of life it gave.

    Each worker writes ``heartbeat_at`` every GEOCM["JOB_HEARTBEAT_SECONDS"]; a job whose
    worker has been silent for GEOCM["JOB_WORKER_STALE_SECONDS"] is taken up again by
    another worker. /healthz reports the newest heartbeat's age.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    hostname = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job worker")
        verbose_name_plural = _("job workers")
        ordering = ["-heartbeat_at"]

    def __str__(self):
        return self.name


class PeriodicRun(models.Model):
    """When a periodic task (``@periodic``) was last queued: the due-time table the idle
    workers read, so that one of them queues it once per period whatever their number."""

    name = models.CharField(_("task"), max_length=100, unique=True)
    queued_at = models.DateTimeField(_("last queued at"))

    class Meta:
        verbose_name = _("periodic task")
        verbose_name_plural = _("periodic tasks")

    def __str__(self):
        return f"{self.name} @ {self.queued_at:%Y-%m-%d %H:%M}"
